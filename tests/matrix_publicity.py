"""Permission-matrix rows for the publicity staff pages; test_permission_matrix.py collects them.

Each row is (url name, url, personas allowed); see that module for the persona sets.
"""

# POST-only URL names, each checked by its own test (tests/test_publicity.py).
# wechat_account_test: tests/test_wechat_publish.py.
PUBLICITY_POST = [
    "article_action",
    "article_generate",
    "article_image_action",
    "wechat_account_test",
]

ALL_STAFF = {"operator", "kf_office", "kf_viewer", "unit_admin", "unit_staff", "handler",
             "nm_office", "town_admin", "town_handler"}  # fmt: skip
# Draft articles of 开福区住房和城乡建设局: its people and the office above read them (handlers,
# who answer opinions, have no part in publicity); its admins, staff and the office write.
HOUSING_READ = {"operator", "kf_office", "kf_viewer", "unit_admin", "unit_staff"}
HOUSING_WRITE = {"operator", "kf_office", "unit_admin", "unit_staff"}
TOWN_READ = {"operator", "nm_office", "town_admin"}
WRITERS = HOUSING_WRITE | {"nm_office", "town_admin"}
# An office's WeChat official account: its office admins and operators set it.
WECHAT_OFFICES = {"operator", "kf_office", "nm_office"}


def publicity_pages(w):
    from datetime import timedelta

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from openday.demo.publicity import placeholder_png
    from openday.events import services as events
    from openday.publicity import services

    start = timezone.now() + timedelta(days=5)
    event = events.create_event(
        w.users["unit_admin"], w.housing, title="宣传权限测试活动", starts_at=start,
        ends_at=start + timedelta(hours=1), venues=[{"name": "会场"}], capacity=5, publish=True,
    )  # fmt: skip
    a = services.create_article(w.users["unit_staff"], w.housing, title="权限测试稿件",
                                body="正文", event=event)  # fmt: skip
    services.add_image(w.users["unit_staff"], a, ContentFile(placeholder_png(4, 3), name="a.png"))
    town = services.create_article(w.users["town_admin"], w.town, title="镇里的稿件", body="正文")
    return [
        ("article_list", "/staff/articles/", ALL_STAFF),
        ("article_list", "/staff/articles/?status=submitted&kind=news&q=稿件", ALL_STAFF),
        ("article_create", "/staff/articles/new/", WRITERS),
        ("article_create", f"/staff/articles/new/?event={event.pk}", HOUSING_WRITE),
        ("article_detail", f"/staff/articles/{a.pk}/", HOUSING_READ),
        ("article_detail", f"/staff/articles/{town.pk}/", TOWN_READ),
        ("article_edit", f"/staff/articles/{a.pk}/edit/", HOUSING_WRITE),
        ("article_edit", f"/staff/articles/{town.pk}/edit/", TOWN_READ),
        ("article_wechat", f"/staff/articles/{a.pk}/wechat.html", HOUSING_READ),
        ("article_wechat_zip", f"/staff/articles/{a.pk}/wechat.zip", HOUSING_READ),
        ("article_bulletin", f"/staff/articles/{a.pk}/bulletin/", HOUSING_READ),
        ("article_bulletin", f"/staff/articles/{town.pk}/bulletin/", TOWN_READ),
        ("wechat_accounts", "/staff/articles/wechat/", WECHAT_OFFICES),
        ("wechat_account", f"/staff/articles/wechat/{w.kaifu.pk}/", {"operator", "kf_office"}),
        ("wechat_account", f"/staff/articles/wechat/{w.naiman.pk}/", {"operator", "nm_office"}),
    ]
