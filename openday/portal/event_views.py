"""Public event pages: the event, registration on a phone, the e-ticket, cancelling."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.decorators.http import require_POST

from openday.audit.services import client_ip
from openday.events import services
from openday.events.forms import RegistrationForm
from openday.events.models import Event, Registration
from openday.events.tickets import qr_svg
from openday.lib import pagecache, validation
from openday.lib import params as param
from openday.lib.personal_data import normalize_phone
from openday.lib.text import clean_code
from openday.ops import ratelimit

from .context import public_page


def _public():
    return Event.objects.exclude(status=Event.Status.DRAFT).select_related("unit", "campaign")


# The public list: a page at a time (a province publishes 10,000 events a year; bench/scale.py).
PAGE_SIZE = 20


class _UpcomingThenRecent:
    """The public events as Paginator's object list: those not over yet, soonest first, then
    those over, latest first. Two index-ordered queries (events_event_public_starts_idx) with
    LIMIT/OFFSET each, instead of ordering every event by an expression."""

    def __init__(self, events, now):
        self.upcoming = events.filter(ends_at__gte=now).order_by("starts_at", "id")
        self.past = events.filter(ends_at__lt=now).order_by("-starts_at", "-id")

    @cached_property
    def n_upcoming(self):
        return self.upcoming.count()

    def count(self):
        return self.n_upcoming + self.past.count()

    def __len__(self):
        return self.count()

    def __getitem__(self, window):
        assert isinstance(window, slice) and window.step is None
        start, stop = window.start or 0, window.stop
        n = self.n_upcoming
        rows = list(self.upcoming[start : min(stop, n)]) if start < n else []
        if stop > n:
            rows += list(self.past[max(start - n, 0) : stop - n])
        return rows


@public_page(lambda: ["events"], query=("page",))
def event_list(request):
    events = _UpcomingThenRecent(_public(), timezone.now())
    page = Paginator(events, PAGE_SIZE).get_page(param.page(request.GET.get("page")))
    return render(request, "portal/event_list.html", {"events": page.object_list, "page": page})


class _Seats:
    """Stands for a number of seats left in the cached page; filled in per request (_fill_seats)."""

    def __init__(self, code):
        self.text = f"@@od-seats-{code}@@"

    def __bool__(self):
        return True

    def __str__(self):
        return self.text

    def __format__(self, spec):
        return self.text


# The texts around a number of seats that depend on whether it is 0 (the template's
# {% if seats_left %} and RegistrationForm's category labels).
ALL_SEATS = _Seats("all")
BUTTON_SEATS = f"（剩余 {ALL_SEATS} 个名额）"


def _category_label(code):
    return f"（余 {_Seats(code)} 个名额）"


def _category_text(left):
    return f"（余 {left} 个名额）" if left else "（已满，可候补）"


CONFIRMED_SQL = (
    "SELECT category, COUNT(*) FROM events_registration "
    "WHERE event_id = %s AND status = %s GROUP BY category"
)


def _seats_now(light_event):
    """(seats left, categories) by the seat rule of services.categories, from one grouped
    count in SQL (the cached page's only work besides the versions)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(CONFIRMED_SQL, [light_event.pk, Registration.Status.CONFIRMED])
        confirmed = dict(cursor.fetchall())
    quotas = {q.category: q.seats for q in light_event.quotas.all()}
    return services.category_seats(light_event.capacity, quotas, confirmed)


def _fill_seats(request, body, light_event):
    """The seats left, from the registration counts, into the cached event page."""
    left, cats = _seats_now(light_event)
    body = body.replace(
        BUTTON_SEATS.encode(), f"（剩余 {left} 个名额）".encode() if left else b""
    ).replace(str(ALL_SEATS).encode(), str(left).encode())
    for c in cats:
        body = body.replace(_category_label(c["code"]).encode(), _category_text(c["left"]).encode())
    return body, f"{left}:" + ",".join(f"{c['code']}={c['left']}" for c in cats)


def _window_ends(event, now):
    """When the page's registration part changes by the clock alone (None: never)."""
    times = [t for t in (event.registration_opens_at, event.registration_closes_at) if t]
    later = [t for t in times if t > now]
    return min(later) if later else None


@public_page(lambda event_id: [pagecache.event(event_id), "campaigns"], max_age=0, fill=_fill_seats)
def event_detail(request, event_id):
    event = get_object_or_404(_public(), pk=event_id)
    now = timezone.now()
    cats = services.categories(event)
    for_cache = pagecache.rendering(request)
    if for_cache:
        cats = [{**c, "left": _Seats(c["code"])} for c in cats]
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
            "seats_left": ALL_SEATS if for_cache else services.seats_left(event),
            "open": event.registration_window(now, invited=invitation is not None) == "open",
            "now": now,
            "invitation": invitation,
        },
        status=429 if limited else 400 if form.errors else 200,
    )
    if limited:
        response["Retry-After"] = str(limited.retry_after)
    if for_cache:
        # What _fill_seats needs, without the page's other data: the capacity and quotas.
        light = Event.objects.only("pk", "capacity").prefetch_related("quotas").get(pk=event.pk)
        setattr(response, pagecache.PAGE_EXTRA, light)
        setattr(response, pagecache.PAGE_UNTIL, _window_ends(event, now))
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
