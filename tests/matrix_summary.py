"""Permission-matrix rows for the summary staff pages; test_permission_matrix.py collects them.

Each row is (url name, url, personas allowed); see that module for the persona sets.
The event's unit admins and staff edit; the office over it (admins and viewers) sees and
downloads; handlers and other trees get 403. POSTs are checked in tests/test_summary.py.
"""

# POST-only URL names, each checked by its own test.
SUMMARY_POST = ["summary_reopen", "photo_update", "photo_delete"]

# Everyone holding a role that may read summaries (handlers may not).
READERS = {"operator", "kf_office", "kf_viewer", "unit_admin", "unit_staff", "nm_office",
           "town_admin"}  # fmt: skip
HOUSING_READERS = {"operator", "kf_office", "kf_viewer", "unit_admin", "unit_staff"}


def summary_pages(w):
    from datetime import timedelta

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from openday.campaigns.models import Campaign
    from openday.demo.services import load_demo_campaigns
    from openday.demo.summaries import demo_png
    from openday.events import services as events
    from openday.summaries import photos
    from openday.summaries import services as summaries

    load_demo_campaigns()
    campaign = Campaign.objects.get(office=w.kaifu, year=2023)
    admin = w.users["unit_admin"]
    start = timezone.now() - timedelta(days=2)
    e = events.create_event(
        admin, w.housing, title="总结权限测试活动", starts_at=start,
        ends_at=start + timedelta(hours=1), venues=[{"name": "会场"}], capacity=5, publish=True,
    )  # fmt: skip
    p = photos.add_photo(admin, e, ContentFile(demo_png(4, 3, (0, 0, 0)), name="p.png"), "现场")
    summaries.save_summary(admin, e, {"experiences": "草稿"})
    base = f"/staff/summaries/events/{e.pk}"
    return [
        ("summary_index", "/staff/summaries/", READERS),
        (
            "summary_index",
            f"/staff/summaries/?campaign={campaign.pk}&summary=draft",
            HOUSING_READERS,
        ),
        ("summary_index", "/staff/summaries/?campaign=none&evidence=incomplete", READERS),
        (
            "summary_campaign_xlsx",
            f"/staff/summaries/campaigns/{campaign.pk}/figures.xlsx",
            HOUSING_READERS,
        ),
        ("summary_edit", f"{base}/", HOUSING_READERS),
        ("summary_docx", f"{base}/summary.docx", HOUSING_READERS),
        ("photo_manage", f"{base}/photos/", HOUSING_READERS),
        ("photo_file", f"/staff/summaries/photos/{p.pk}/", HOUSING_READERS),
        ("evidence_event", f"{base}/evidence.zip", HOUSING_READERS),
        (
            "evidence_unit",
            f"/staff/summaries/units/{w.housing.pk}/evidence.zip?campaign=none",
            HOUSING_READERS,
        ),
        (
            "evidence_unit",
            f"/staff/summaries/units/{w.housing.pk}/evidence.zip?campaign={campaign.pk}",
            HOUSING_READERS,
        ),
        (
            "evidence_unit",
            f"/staff/summaries/units/{w.town.pk}/evidence.zip?campaign=none",
            {"operator", "nm_office", "town_admin"},
        ),
    ]
