"""Who writes, reviews and reads articles, along the organization tree.

- a unit's admins and staff write and submit the unit's articles (and those of its departments);
- the office admins above a unit review: approve (publish), return, withdraw; an office also
  writes its own notices (unit = the office) and may write on a unit's behalf;
- viewers and the people of a unit read what is in their part of the tree, drafts included;
- handlers answer opinions and have no part in publicity;
- the public reads only published articles (openday.portal.column_views, the API).
"""

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from openday.lib.params import object_id
from openday.orgs.models import Org, Role

from .models import Article

if TYPE_CHECKING:
    from openday.orgs.access import Access, AccessRequest

WRITE_ROLES = {Role.OFFICE_ADMIN, Role.UNIT_ADMIN, Role.UNIT_STAFF}
SEE_ROLES = {Role.OFFICE_ADMIN, Role.UNIT_ADMIN, Role.UNIT_STAFF, Role.VIEWER}


def _under(access: "Access", path: str, roles: Collection[str]) -> bool:
    return any(m.role in roles and path.startswith(m.org.path) for m in access.memberships)


def can_write_for(access: "Access", org: Org) -> bool:
    """Write articles in org's name: its admins and staff, the office above it, operators."""
    return access.is_operator or _under(access, org.path, WRITE_ROLES)


def writes_anywhere(access: "Access") -> bool:
    return access.is_operator or any(m.role in WRITE_ROLES for m in access.memberships)


def can_see(access: "Access", article: Article) -> bool:
    return access.is_operator or _under(access, article.unit.path, SEE_ROLES)


def can_edit(access: "Access", article: Article) -> bool:
    """Change the text and images (the services also refuse a published article)."""
    return can_write_for(access, article.unit)


def can_review(access: "Access", article: Article) -> bool:
    """Approve and publish, return, withdraw: the office admins above the article's unit."""
    return access.is_operator or _under(access, article.unit.path, {Role.OFFICE_ADMIN})


def reviews_anything(access: "Access") -> bool:
    return access.is_operator or any(m.role == Role.OFFICE_ADMIN for m in access.memberships)


def can_withdraw(access: "Access", article: Article) -> bool:
    """Take a published article down: the reviewers, and the unit that wrote it (a mistake is
    best pulled at once by whoever finds it)."""
    return can_review(access, article) or can_write_for(access, article.unit)


def visible(access: "Access") -> QuerySet[Article]:
    """Every article the viewer may see in the staff pages."""
    return Article.objects.filter(access.scope_q(SEE_ROLES, field="unit__path"))


def review_queue(access: "Access") -> QuerySet[Article]:
    """Submitted articles this viewer may approve."""
    return Article.objects.filter(
        access.scope_q({Role.OFFICE_ADMIN}, field="unit__path"), status=Article.Status.SUBMITTED
    )


def writable_orgs(access: "Access") -> list[Org]:
    """Orgs the viewer may write for, in tree order (for the form's 署名单位 choice)."""
    orgs = access.visible_orgs().filter(is_active=True).order_by("path")
    return [o for o in orgs if can_write_for(access, o)] if not access.is_operator else list(orgs)


def access_article(
    request: "AccessRequest",
    article_id: object,
    check: Callable[["Access", Article], bool] | None = None,
    message: str = "您无权操作这篇稿件。",
) -> Article:
    article = get_object_or_404(
        Article.objects.select_related(
            "unit", "event", "campaign", "campaign__office", "created_by", "reviewed_by"
        ),
        pk=object_id(article_id),
    )
    if not can_see(request.access, article) and not (check and check(request.access, article)):
        raise PermissionDenied("您无权查看这篇稿件。")
    if check is not None and not check(request.access, article):
        raise PermissionDenied(message)
    return article


def public_articles() -> QuerySet[Article]:
    """What the public may read: published, and neither its campaign nor its event a draft."""
    from openday.campaigns.models import Campaign
    from openday.events.models import Event

    return (
        Article.objects.filter(status=Article.Status.PUBLISHED)
        .exclude(campaign__status=Campaign.Status.DRAFT)
        .exclude(event__status=Event.Status.DRAFT)
    )


def is_public(article: Article) -> bool:
    return public_articles().filter(pk=article.pk).exists()


# --- Publishing to the office's WeChat official account (openday.publicity.tasks) -------------


def office_of_article(article: Article) -> Org | None:
    """The office whose official account publishes the article: the nearest above its unit."""
    from openday.opinions.services import office_of

    return office_of(article.unit)


def can_configure_wechat(access: "Access", office: Org) -> bool:
    """Set an office's official account: its office admins (and those above it), operators."""
    if office.kind != Org.Kind.OFFICE:
        return False
    return access.is_operator or _under(access, office.path, {Role.OFFICE_ADMIN})


def wechat_offices(access: "Access") -> list[Org]:
    """The offices whose official account this viewer may set, in tree order."""
    offices = Org.objects.filter(kind=Org.Kind.OFFICE, is_active=True).order_by("path")
    if not access.is_operator:
        offices = offices.filter(access.scope_q({Role.OFFICE_ADMIN}))
    return [o for o in offices if can_configure_wechat(access, o)]


def can_publish_wechat(access: "Access", article: Article) -> bool:
    """Publish to (or retry publishing to) the official account: the office admins of the
    article's office, operators. Unit staff publish through their office, never directly."""
    office = office_of_article(article)
    return office is not None and can_configure_wechat(access, office)
