"""Staff pages for publicity (宣传报道): the article list and the office's review queue, writing
and editing with images, drafts generated from an event's data, review (approve and publish,
return, withdraw), the WeChat export and the bulletin-board notice.

Who may do what is decided in openday.publicity.access; the rules of each move in its services.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from openday.audit.models import AuditEntry
from openday.campaigns.access import visible_campaigns
from openday.control.forms import errors_text
from openday.events.access import access_event
from openday.events.models import Event
from openday.lib import params as param
from openday.lib.edge import Form
from openday.orgs.models import Org
from openday.publicity import bulletin, rendering, services, wechat
from openday.publicity import forms as pf
from openday.publicity import tasks as wechat_publishing
from openday.publicity.access import (
    access_article,
    can_configure_wechat,
    can_edit,
    can_publish_wechat,
    can_review,
    can_withdraw,
    can_write_for,
    is_public,
    review_queue,
    reviews_anything,
    visible,
    wechat_offices,
    writable_orgs,
    writes_anywhere,
)
from openday.publicity.models import WECHAT_API, Article, ArticleImage, WeChatAccount
from openday.publicity.services import Refused

from .shortcuts import apply_errors, download, staff_required

S = Article.Status
PAGE_SIZE = 30
NOT_WRITER = "只有单位管理员、单位工作人员和政务公开办管理员可以撰写稿件。"
FILTERS = ("campaign", "event", "status", "kind", "q")


def _base_url(request):
    return request.build_absolute_uri("/").rstrip("/")


def _image_src(image, n):
    return reverse("portal:article_image", args=[image.pk])


# --- The list and the review queue ------------------------------------------------------------


@staff_required
def article_list(request):
    access = request.access
    f = {k: request.GET.get(k, "").strip() for k in FILTERS}
    qs = visible(access).select_related("unit", "event", "campaign")
    if campaign_id := param.id_or_none(f["campaign"]):
        qs = qs.filter(campaign_id=campaign_id)
    if event_id := param.id_or_none(f["event"]):
        qs = qs.filter(event_id=event_id)
    if f["status"] in S.values:
        qs = qs.filter(status=f["status"])
    if f["kind"] in Article.Kind.values:
        qs = qs.filter(kind=f["kind"])
    if f["q"]:
        qs = qs.filter(
            Q(title__icontains=f["q"]) | Q(lead__icontains=f["q"]) | Q(body__icontains=f["q"])
        )
    qs = qs.order_by("-updated_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(param.page(request.GET.get("page")))
    seen = visible(access)
    params = {k: v for k, v in f.items() if v}
    reviewer = reviews_anything(access)
    return render(
        request,
        "control/publicity/list.html",
        {
            "page": page,
            "f": f,
            "query": urlencode(params) + "&" if params else "",
            "filtered": any(f.values()),
            "statuses": S.choices,
            "kinds": Article.Kind.choices,
            "campaigns": visible_campaigns(access)
            .filter(pk__in=seen.values("campaign_id"))
            .select_related("office")
            .order_by("-year"),
            "events": Event.objects.filter(pk__in=seen.values("event_id")).order_by("-starts_at")[
                :200
            ],
            "reviewer": reviewer,
            "queue_count": review_queue(access).count() if reviewer else 0,
            "queue": f["status"] == S.SUBMITTED
            and not any(v for k, v in f.items() if k != "status"),
            "can_write": writes_anywhere(access),
        },
    )


# --- Writing ------------------------------------------------------------------------------------


def _events_for(orgs, wanted=None):
    q = Q(pk__in=[])
    for org in orgs:
        q |= Q(unit__path__startswith=org.path)
    events = list(
        Event.objects.filter(q).select_related("unit", "campaign").order_by("-starts_at")[:200]
    )
    if wanted is not None and wanted not in events:
        events.insert(0, wanted)
    return events


def _campaigns_for(access, orgs):
    paths = [o.path for o in orgs]
    return [
        c
        for c in visible_campaigns(access).select_related("office").order_by("-year", "id")
        if any(p.startswith(c.office.path) for p in paths)
    ]


def _wanted_event(request):
    wanted = request.POST.get("event") or request.GET.get("event") or ""
    wanted = param.id_or_none(wanted)
    if wanted is None:
        return None
    event = Event.objects.select_related("unit", "campaign").filter(pk=wanted).first()
    if event is None or not can_write_for(request.access, event.unit):
        raise PermissionDenied("您无权为该活动撰写稿件。")
    return event


@staff_required
def article_create(request):
    access = request.access
    units = writable_orgs(access)
    if not units:
        raise PermissionDenied(NOT_WRITER)
    event = _wanted_event(request)
    events = _events_for(units, event)
    campaigns = _campaigns_for(access, units)
    initial = {"unit": event.unit_id if event else units[0].pk, "kind": Article.Kind.NEWS}
    if unit_id := param.id_or_none(request.GET.get("unit")):
        initial["unit"] = unit_id
    if event is not None:
        initial["event"] = event.pk
    if request.GET.get("kind") in Article.Kind.values:
        initial["kind"] = request.GET["kind"]
    if campaign_id := param.id_or_none(request.GET.get("campaign")):
        initial["campaign"] = campaign_id
    form = pf.ArticleForm(
        request.POST or None, units=units, events=events, campaigns=campaigns, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        unit = next((u for u in units if u.pk == d["unit"]), None)
        fields = {k: d[k] for k in ("kind", "title", "lead", "body", "author_name")}
        fields["event"] = next((e for e in events if e.pk == d["event"]), None)
        fields["campaign"] = next((c for c in campaigns if c.pk == d["campaign"]), None)
        try:
            if unit is None:
                raise PermissionDenied("您无权以该单位名义撰写稿件。")
            article = services.create_article(request.user, unit, **fields)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "稿件已保存为草稿。可以继续上传图片，写好后提交审核。")
            return redirect(reverse("control:article_edit", args=[article.pk]) + "#images")
    return render(
        request,
        "control/publicity/form.html",
        {
            "form": form,
            "article": None,
            "event": event,
        },
        status=400 if form.errors else 200,
    )


@staff_required
def article_edit(request, article_id):
    article = access_article(request, article_id, check=can_edit, message="您无权修改这篇稿件。")
    if article.status not in Article.EDITABLE:
        messages.error(request, services.NOT_EDITABLE.get(article.status, "当前状态不能修改。"))
        return redirect("control:article_detail", article.pk)
    units = [article.unit]
    events = _events_for(units, article.event)
    campaigns = _campaigns_for(request.access, units)
    if article.campaign is not None and article.campaign not in campaigns:
        campaigns.insert(0, article.campaign)
    initial = {f: getattr(article, f) for f in ("kind", "title", "lead", "body", "author_name")}
    initial.update(event=article.event_id, campaign=article.campaign_id)
    form = pf.ArticleForm(
        request.POST or None,
        events=events,
        campaigns=campaigns,
        fixed_unit=article.unit,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        fields = {k: d[k] for k in ("kind", "title", "lead", "body", "author_name")}
        fields["event"] = next((e for e in events if e.pk == d["event"]), None)
        fields["campaign"] = next((c for c in campaigns if c.pk == d["campaign"]), None)
        try:
            services.update_article(request.user, article, **fields)
            if "submit" in request.POST:
                services.submit_article(request.user, article)
        except ValidationError as exc:
            apply_errors(form, exc)
        except Refused as exc:
            form.add_error(None, exc.message)
        else:
            if "submit" in request.POST:
                messages.success(request, "已提交审核。政务公开办审核通过后，稿件发布到活动专栏。")
                return redirect("control:article_detail", article.pk)
            messages.success(request, "已保存。")
            return redirect("control:article_edit", article.pk)
    images = list(article.images.order_by("position", "id"))
    return render(
        request,
        "control/publicity/form.html",
        {
            "form": form,
            "article": article,
            "images": images,
            "image_form": pf.ImageForm(),
            "preview": rendering.render(article.body, images, _image_src, preview=True),
        },
        status=400 if form.errors else 200,
    )


@staff_required
@require_POST
def article_generate(request, event_id, kind):
    event = access_event(request, event_id, manage=True)
    if not can_write_for(request.access, event.unit):
        raise PermissionDenied("您无权为该活动撰写稿件。")
    if kind not in (Article.Kind.ANNOUNCEMENT, Article.Kind.NEWS):
        raise PermissionDenied("不支持的稿件类型。")
    existing = services.existing_generated(event, kind)
    make = (
        services.generate_announcement if kind == "announcement" else services.generate_news_draft
    )
    article = make(event, request.user, base_url=_base_url(request))
    label = Article.Kind(kind).label
    if existing is not None:
        messages.info(
            request,
            f"本活动已有系统生成的“{label}”草稿，已为您打开。"
            "如需按最新数据重新生成，请先删除这份草稿。",
        )
    else:
        messages.success(request, f"已根据活动数据生成“{label}”初稿。请核对、补充后提交审核。")
    return redirect("control:article_edit", article.pk)


# --- One article: preview, actions, exports ----------------------------------------------------


def _history(article):
    return AuditEntry.objects.filter(
        object_type="publicity.article", object_id=str(article.pk)
    ).select_related("actor")[:50]


@staff_required
def article_detail(request, article_id):
    article = access_article(request, article_id)
    access = request.access
    images = list(article.images.order_by("position", "id"))
    editable = article.status in Article.EDITABLE
    writer = can_edit(access, article)
    return render(
        request,
        "control/publicity/detail.html",
        {
            "a": article,
            "images": images,
            "body": rendering.render(article.body, images, _image_src, preview=True),
            "problems": services.body_problems(article, images) if editable and writer else {},
            "show": {
                "edit": writer and editable,
                "submit": writer and editable,
                "delete": writer
                and editable
                and article.published_at is None
                and article.status != S.WITHDRAWN,
                "recall": writer and article.status == S.SUBMITTED,
                "review": can_review(access, article) and article.status == S.SUBMITTED,
                "withdraw": can_withdraw(access, article) and article.status == S.PUBLISHED,
            },
            "public": is_public(article),
            "column_url": bulletin.column_url(article.campaign),
            "approve_form": pf.ApproveForm(),
            "return_form": pf.ReturnForm(),
            "withdraw_form": pf.WithdrawForm(),
            "history": _history(article),
            "wechat": wechat_publishing.panel(access, article),
        },
    )


def _submit(request, article, form):
    services.submit_article(request.user, article)
    return "已提交审核。政务公开办审核通过后，稿件发布到活动专栏。"


def _recall(request, article, form):
    services.recall_article(request.user, article)
    return "已撤回提交，稿件回到草稿，可以继续修改。"


def _approve(request, article, form):
    services.approve_article(request.user, article, note=form.cleaned_data["note"])
    if not is_public(article):
        return "稿件已审核发布。所属年度活动的通知尚未印发，印发后专栏才对公众显示。"
    return "稿件已审核通过并发布到活动专栏。"


def _return(request, article, form):
    services.return_article(request.user, article, note=form.cleaned_data["note"])
    return "稿件已退回修改，单位会收到通知。"


def _withdraw(request, article, form):
    services.withdraw_article(request.user, article, reason=form.cleaned_data["reason"])
    return "稿件已撤回发布，专栏中不再显示。修改后可重新提交审核。"


def _delete(request, article, form):
    title = article.title
    services.delete_article(request.user, article)
    return f"草稿“{title}”已删除。"


def _wechat(request, article, form):
    _publication, created = wechat_publishing.request_publication(
        request.user, article, site_url=_base_url(request)
    )
    if not created:
        return "本文已有一次公众号发布正在进行，无需重复提交，请稍后刷新本页查看结果。"
    return "已提交发布到微信公众号：后台正在上传图片、创建草稿并发布，稍后刷新本页查看结果。"


def _image(request, article, form):
    services.add_image(
        request.user,
        article,
        form.cleaned_data["image"],
        caption=form.cleaned_data["caption"],
    )
    n = article.images.count()
    return f"图片已上传（图{n}）。在正文中单独一行写 [图{n}]，即可把它放在相应位置。"


# action: (who may, what they are refused with, form, perform, where to go back to)
ACTIONS = {
    "submit": (can_edit, "您无权提交这篇稿件。", None, _submit, "detail"),
    "recall": (can_edit, "您无权撤回这篇稿件。", None, _recall, "detail"),
    "approve": (
        can_review,
        "只有上级政务公开办管理员可以审核稿件。",
        pf.ApproveForm,
        _approve,
        "detail",
    ),
    "return": (
        can_review,
        "只有上级政务公开办管理员可以审核稿件。",
        pf.ReturnForm,
        _return,
        "detail",
    ),
    "withdraw": (can_withdraw, "您无权撤回这篇稿件。", pf.WithdrawForm, _withdraw, "detail"),
    "delete": (can_edit, "您无权删除这篇稿件。", None, _delete, "list"),
    "image": (can_edit, "您无权修改这篇稿件。", pf.ImageForm, _image, "edit"),
    "wechat": (
        can_publish_wechat,
        "只有本稿件所属政务公开办的管理员可以发布到微信公众号。",
        None,
        _wechat,
        "detail",
    ),
}


@staff_required
@require_POST
def article_action(request, article_id, action):
    if action not in ACTIONS:
        access_article(request, article_id)
        raise PermissionDenied("不支持的操作。")
    check, refusal, form_class, perform, back = ACTIONS[action]
    article = access_article(request, article_id, check=check, message=refusal)
    urls = {
        "detail": reverse("control:article_detail", args=[article.pk]),
        "edit": reverse("control:article_edit", args=[article.pk]) + "#images",
        "list": reverse("control:article_list"),
    }
    form = form_class(request.POST, request.FILES) if form_class else Form(request.POST)
    if not form.is_valid():
        messages.error(request, "未能完成：" + errors_text(form))
        return redirect(urls["edit" if back == "edit" else "detail"])
    try:
        done = perform(request, article, form)
    except Refused as exc:
        messages.error(request, exc.message)
        back = "detail"
    except ValidationError as exc:
        messages.error(request, "未能完成：" + errors_text(exc))
        if action == "submit":
            back = "edit"
        elif back == "list":
            back = "detail"
    else:
        messages.success(request, done)
    return redirect(urls[back])


@staff_required
@require_POST
def article_image_action(request, image_id, action):
    image = get_object_or_404(ArticleImage, pk=image_id)
    article = access_article(
        request, image.article_id, check=can_edit, message="您无权修改这篇稿件。"
    )
    back = reverse("control:article_edit", args=[article.pk]) + "#images"
    try:
        if action in ("up", "down"):
            services.move_image(request.user, image, -1 if action == "up" else 1)
        elif action == "remove":
            services.remove_image(request.user, image)
            messages.success(request, "图片已删除，正文中的 [图N] 已随之调整。")
        elif action == "caption":
            services.set_caption(request.user, image, request.POST.get("caption", ""))
            messages.success(request, "图片说明已保存。")
        else:
            raise PermissionDenied("不支持的操作。")
    except Refused as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, "未能完成：" + errors_text(exc))
    return redirect(back)


@staff_required
def article_wechat(request, article_id):
    """The WeChat-ready HTML file: shown as is, or downloaded with ?download=1."""
    article = access_article(request, article_id)
    html = wechat.wechat_html(article, base_url=_base_url(request))
    if request.GET.get("download") == "1":
        return download(
            html.encode("utf-8"), "text/html; charset=utf-8", f"{article.title}-公众号.html"
        )
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required
def article_wechat_zip(request, article_id):
    article = access_article(request, article_id)
    data = wechat.wechat_zip(article, base_url=_base_url(request))
    return download(data, "application/zip", f"{article.title}-公众号图文包.zip")


@staff_required
def article_bulletin(request, article_id):
    article = access_article(request, article_id)
    context = bulletin.bulletin_context(article, _base_url(request))
    context["image_src"] = (
        reverse("portal:article_image", args=[context["image"].pk]) if context["image"] else ""
    )
    return render(request, "control/publicity/bulletin.html", context)


# --- The office's WeChat official account ----------------------------------------------------


NOT_WECHAT_ADMIN = "只有政务公开办管理员和运维人员可以设置微信公众号。"


def _wechat_office(request, office_id):
    office = get_object_or_404(Org, pk=param.object_id(office_id), kind=Org.Kind.OFFICE)
    if not can_configure_wechat(request.access, office):
        raise PermissionDenied(NOT_WECHAT_ADMIN)
    return office


@staff_required
def wechat_accounts(request):
    offices = wechat_offices(request.access)
    if not offices:
        raise PermissionDenied(NOT_WECHAT_ADMIN)
    accounts = {a.office_id: a for a in WeChatAccount.objects.filter(office__in=offices)}
    rows = [(office, accounts.get(office.pk)) for office in offices]
    return render(request, "control/publicity/wechat_accounts.html", {"rows": rows})


@staff_required
def wechat_account(request, office_id):
    office = _wechat_office(request, office_id)
    account = wechat_publishing.account_of(office)
    operator = request.access.is_operator
    initial = {
        "app_id": account.app_id if account else "",
        "author_name": account.author_name if account else "",
        "enabled": account.enabled if account else False,
        "base_url": account.base_url if account else WECHAT_API,
    }
    form = pf.WeChatAccountForm(
        request.POST or None,
        initial=initial,
        has_secret=bool(account and account.has_secret),
        operator=operator,
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            wechat_publishing.save_account(
                request.user,
                office,
                app_id=d["app_id"],
                secret=d["secret"],
                author_name=d["author_name"],
                enabled=d["enabled"],
                base_url=d["base_url"] if operator else initial["base_url"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "公众号设置已保存。建议点击“测试连接”确认能连上微信。")
            return redirect("control:wechat_account", office.pk)
    history = (
        AuditEntry.objects.filter(
            object_type="publicity.wechataccount", object_id=str(account.pk)
        ).select_related("actor")[:30]
        if account
        else []
    )
    return render(
        request,
        "control/publicity/wechat_account.html",
        {"office": office, "account": account, "form": form, "history": history},
        status=400 if form.errors else 200,
    )


@staff_required
@require_POST
def wechat_account_test(request, office_id):
    office = _wechat_office(request, office_id)
    account = wechat_publishing.account_of(office)
    if account is None or not account.app_id or not account.has_secret:
        messages.error(request, "请先填写并保存开发者ID（AppID）和开发者密码（AppSecret）。")
    else:
        ok, message = wechat_publishing.check_account(request.user, account)
        (messages.success if ok else messages.error)(request, message)
    return redirect("control:wechat_account", office.pk)


urlpatterns = [
    path("articles/wechat/", wechat_accounts, name="wechat_accounts"),
    path("articles/wechat/<id:office_id>/", wechat_account, name="wechat_account"),
    path("articles/wechat/<id:office_id>/test/", wechat_account_test, name="wechat_account_test"),
    path("articles/", article_list, name="article_list"),
    path("articles/new/", article_create, name="article_create"),
    path("articles/generate/<id:event_id>/<slug:kind>/", article_generate, name="article_generate"),
    path(
        "articles/images/<id:image_id>/<slug:action>/",
        article_image_action,
        name="article_image_action",
    ),
    path("articles/<id:article_id>/", article_detail, name="article_detail"),
    path("articles/<id:article_id>/edit/", article_edit, name="article_edit"),
    path("articles/<id:article_id>/wechat.html", article_wechat, name="article_wechat"),
    path("articles/<id:article_id>/wechat.zip", article_wechat_zip, name="article_wechat_zip"),
    path("articles/<id:article_id>/bulletin/", article_bulletin, name="article_bulletin"),
    path("articles/<id:article_id>/<slug:action>/", article_action, name="article_action"),
]
