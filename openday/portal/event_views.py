"""Public event pages: the event, registration on a phone, the e-ticket, cancelling."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from openday.audit.services import client_ip
from openday.events import services
from openday.events.forms import RegistrationForm
from openday.events.models import Event, Registration
from openday.events.tickets import qr_svg
from openday.lib import validation
from openday.lib.personal_data import normalize_phone
from openday.lib.text import clean_code
from openday.ops import ratelimit


def _public():
    return Event.objects.exclude(status=Event.Status.DRAFT).select_related("unit", "campaign")


def event_list(request):
    return render(request, "portal/event_list.html", {"events": _public().order_by("-starts_at")})


def event_detail(request, event_id):
    event = get_object_or_404(_public(), pk=event_id)
    now = timezone.now()
    cats = services.categories(event)
    code = clean_code(request.POST.get("invite") or request.GET.get("invite"))
    invitation = event.invitations.filter(code=code).first() if code else None
    initial = (
        {
            "name": invitation.name,
            "category": invitation.category,
            "organization": invitation.organization,
        }
        if invitation
        else {}
    )
    form = RegistrationForm(request.POST or None, categories=cats, initial=initial)
    limited = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            registration = services.register(
                event.pk,
                name=d["name"],
                phone=d["phone"],
                category=d["category"],
                organization=d["organization"],
                consent=d["consent"],
                invitation_code=invitation.code if invitation else None,
                limits=[
                    ("registration.phone", normalize_phone(d["phone"])),
                    ("registration.address", client_ip(request)),
                ],
            )
        except ValidationError as exc:
            validation.apply_to_form(form, exc)
        except services.Refused as exc:
            form.add_error(None, exc.message)
        except ratelimit.Limited as exc:
            form.add_error(None, exc.message)
            limited = exc
        else:
            return redirect("portal:ticket", registration.ticket_code)
    response = render(
        request,
        "portal/event_detail.html",
        {
            "event": event,
            "form": form,
            "categories": cats,
            "seats_left": services.seats_left(event),
            "open": event.registration_window(now, invited=invitation is not None) == "open",
            "now": now,
            "invitation": invitation,
        },
        status=429 if limited else 400 if form.errors else 200,
    )
    if limited:
        response["Retry-After"] = str(limited.retry_after)
    return response


def ticket(request, ticket_code):
    registration = get_object_or_404(
        Registration.objects.select_related("event", "event__unit"),
        ticket_code=clean_code(ticket_code),
    )
    return render(
        request,
        "portal/ticket.html",
        {
            "r": registration,
            "event": registration.event,
            "qr": qr_svg(registration.ticket_code)
            if registration.status == Registration.Status.CONFIRMED
            else "",
        },
    )


@require_POST
def ticket_cancel(request, ticket_code):
    ticket_code = clean_code(ticket_code)
    get_object_or_404(Registration, ticket_code=ticket_code)
    try:
        services.cancel(ticket_code)
    except services.Refused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "报名已取消。感谢告知，名额将让给候补的群众。")
    return redirect("portal:ticket", ticket_code)


@require_POST
def invitation_decline(request, code):
    from openday.events.invitations import decline

    invitation = decline(code)
    if invitation is None:
        return redirect("portal:home")
    messages.success(request, "已收到您的答复，感谢告知。如改变主意，仍可通过邀请链接报名。")
    return redirect(f"/events/{invitation.event_id}/?invite={invitation.code}")
