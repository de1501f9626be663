"""openday_register() records the confirmation SMS with its kind and variables
(messaging.kinds "registration_confirmed": the event's title and the ticket), so an SMS
gateway that sends only approved templates can send it. The signature is unchanged."""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION openday_register(
    p_event bigint, p_category text, p_staff boolean, p_now timestamptz,
    p_name text, p_phone_encrypted text, p_phone_hash text, p_phone_last4 text,
    p_organization text, p_source text, p_ticket text,
    p_actor_id bigint, p_actor_label text, p_object_label text, p_ip inet,
    p_sms_masked text, p_sms_body text)
RETURNS TABLE (outcome text, reg_id bigint, total bigint, mine bigint, waiting bigint,
               message_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_status text; v_opens timestamptz; v_closes timestamptz; v_mode text;
    v_capacity integer; v_waitlist integer; v_unit bigint; v_path text;
    v_quota integer; v_quotas integer; v_decision text; v_id bigint; v_message bigint;
    v_title text;
BEGIN
    SELECT e.status, e.registration_opens_at, e.registration_closes_at, e.registration_mode,
           e.capacity, e.waitlist_limit, e.unit_id, o.path, e.title
      INTO v_status, v_opens, v_closes, v_mode, v_capacity, v_waitlist, v_unit, v_path, v_title
      FROM events_event e JOIN orgs_org o ON o.id = e.unit_id
     WHERE e.id = p_event
       FOR UPDATE OF e;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::text, NULL::bigint, 0::bigint, 0::bigint, 0::bigint, NULL::bigint;
        RETURN;
    END IF;
    IF v_status <> 'open' AND NOT (p_staff AND v_status IN ('published', 'closed')) THEN
        v_decision := 'closed';
    ELSIF NOT p_staff AND v_opens IS NOT NULL AND p_now < v_opens THEN
        v_decision := 'not_yet';
    ELSIF NOT p_staff AND v_closes IS NOT NULL AND p_now > v_closes THEN
        v_decision := 'ended';
    ELSIF NOT p_staff AND v_mode = 'invitation' THEN
        v_decision := 'invitation_only';
    END IF;
    IF v_decision IS NOT NULL THEN
        RETURN QUERY SELECT v_decision, NULL::bigint, 0::bigint, 0::bigint, 0::bigint, NULL::bigint;
        RETURN;
    END IF;
    SELECT count(*) FILTER (WHERE q.seats > 0),
           max(q.seats) FILTER (WHERE q.category = p_category AND q.seats > 0)
      INTO v_quotas, v_quota
      FROM events_quota q WHERE q.event_id = p_event;
    IF v_quotas > 0 AND v_quota IS NULL THEN
        RETURN QUERY SELECT 'not_invited'::text, NULL::bigint, 0::bigint, 0::bigint, 0::bigint, NULL::bigint;
        RETURN;
    END IF;
    SELECT count(*) FILTER (WHERE r.status = 'confirmed'),
           count(*) FILTER (WHERE r.status = 'confirmed' AND r.category = p_category),
           count(*) FILTER (WHERE r.status = 'waitlisted')
      INTO total, mine, waiting
      FROM events_registration r
     WHERE r.event_id = p_event AND r.status IN ('confirmed', 'waitlisted', 'pending');
    IF total < v_capacity AND (v_quota IS NULL OR mine < v_quota) THEN
        v_decision := 'confirmed';
    ELSIF waiting < v_waitlist THEN
        v_decision := 'waitlisted';
    ELSE
        RETURN QUERY SELECT 'refused'::text, NULL::bigint, total, mine, waiting, NULL::bigint;
        RETURN;
    END IF;
    INSERT INTO events_registration (event_id, name, phone_encrypted, phone_hash, phone_last4,
        category, organization, status, source, ticket_code, consent_at, created_at)
    VALUES (p_event, p_name, p_phone_encrypted, p_phone_hash, p_phone_last4, p_category,
        p_organization, v_decision, p_source, p_ticket, p_now, p_now)
    RETURNING id INTO v_id;
    INSERT INTO audit_auditentry (created_at, actor_id, actor_label, action, object_type,
        object_id, object_label, org_id, org_path, changes, ip)
    VALUES (p_now, p_actor_id, p_actor_label, 'registration.created', 'events.registration',
        v_id::text, p_object_label, v_unit, v_path,
        jsonb_build_object('status', jsonb_build_array(NULL, v_decision), 'source', p_source),
        p_ip);
    -- The confirmation SMS is recorded with the registration; it is sent after the commit.
    IF v_decision = 'confirmed' AND p_sms_body IS NOT NULL THEN
        INSERT INTO messaging_outboundmessage (channel, kind, params, to_encrypted, to_masked,
            subject, body, created_at, error)
        VALUES ('sms', 'registration_confirmed',
            jsonb_build_object('event', v_title, 'ticket', p_ticket),
            p_phone_encrypted, p_sms_masked, '', p_sms_body, p_now, '')
        RETURNING id INTO v_message;
    END IF;
    RETURN QUERY SELECT v_decision, v_id, total, mine, waiting, v_message;
END
$$;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)


def restore(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from importlib import import_module

        previous = import_module("openday.events.migrations.0003_register_sends_sms")
        schema_editor.execute(previous.FUNCTION)


class Migration(migrations.Migration):
    dependencies = [("events", "0003_register_sends_sms"), ("messaging", "0002_outbox")]

    operations = [migrations.RunPython(create, restore)]
