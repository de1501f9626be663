"""Stored phone numbers in one ASCII spelling, so one person is one person (issue #16).

The work is openday.events.phone_normalization.renormalize_stored_phones (read its docstring
for how duplicates are settled and reported). Not atomic: each batch commits on its own, so a
large table never sits in one transaction; running it again changes nothing.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from openday.events.phone_normalization import renormalize_stored_phones

    changed = renormalize_stored_phones(apps, report=lambda line: print(f"\n  {line}", end=""))
    total = sum(changed.values())
    if total:
        print(
            f"\n  已规范化 {total} 个手机号："
            + "，".join(f"{k} {v}" for k, v in changed.items() if v)
        )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("events", "0004_register_sms_kind"),
        ("surveys", "0001_initial"),
        ("opinions", "0003_triage_settings"),
        ("accounts", "0001_initial"),
        ("campaigns", "0003_campaign_opinion_due_days"),
        ("messaging", "0002_outbox"),
        ("audit", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
