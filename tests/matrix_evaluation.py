"""Permission-matrix rows for the evaluation staff pages; test_permission_matrix.py collects them.

Each row is (url name, url, personas allowed); see that module for the persona sets.
开福区's 2023 scores are not published (units see nothing); 奈曼旗's are, so 沙日浩来镇's admin
sees its own row (its handler, in a department, does not).
"""

# POST-only URL names, each checked by its own test (tests/test_evaluation.py;
# evaluation_recount in tests/test_rollups.py).
EVALUATION_POST = [
    "evaluation_recount",
    "evaluation_adjust",
    "evaluation_revoke",
    "evaluation_award_remove",
    "evaluation_publish",
]


def evaluation_pages(w):
    from openday.campaigns.models import Campaign
    from openday.demo.evaluation import load_demo_evaluation
    from openday.demo.services import load_demo_campaigns
    from openday.evaluation import services

    load_demo_campaigns()
    load_demo_evaluation()
    c = Campaign.objects.get(office=w.kaifu, year=2023)
    n = Campaign.objects.get(office=w.naiman, year=2023)
    nm = w.users["nm_office"]
    scheme = services.scheme_for(n, nm)
    if scheme.published_at is None:
        services.publish_scheme(nm, scheme)
    kaifu_see = {"operator", "kf_office", "kf_viewer"}
    kaifu_run = {"operator", "kf_office"}
    naiman_run = {"operator", "nm_office"}
    naiman_unit = naiman_run | {"town_admin"}
    base, nbase = f"/staff/campaigns/{c.pk}", f"/staff/campaigns/{n.pk}"
    return [
        ("evaluation_dashboard", f"{base}/evaluation/", kaifu_see),
        ("evaluation_dashboard", f"{base}/evaluation/?tab=month", kaifu_see),
        ("evaluation_dashboard", f"{nbase}/evaluation/", naiman_unit),
        ("evaluation_dashboard", f"{nbase}/evaluation/?tab=month", naiman_unit),
        ("evaluation_weights", f"{base}/evaluation/weights/", kaifu_run),
        ("evaluation_weights", f"{nbase}/evaluation/weights/", naiman_run),
        ("evaluation_unit", f"{base}/evaluation/units/{w.housing.pk}/", kaifu_see),
        ("evaluation_unit", f"{nbase}/evaluation/units/{w.town.pk}/", naiman_unit),
        ("evaluation_awards", f"{base}/evaluation/awards/", kaifu_see),
        ("evaluation_awards", f"{nbase}/evaluation/awards/", naiman_run),
        ("evaluation_xlsx", f"{base}/evaluation.xlsx", kaifu_see),
        ("evaluation_xlsx", f"{nbase}/evaluation.xlsx", naiman_unit),
        ("evaluation_docx", f"{base}/evaluation-report.docx", kaifu_see),
        ("evaluation_docx", f"{nbase}/evaluation-report.docx", naiman_run),
    ]
