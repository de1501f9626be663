"""Permission-matrix rows for the triage staff pages; test_permission_matrix.py collects them.

Each row is (url name, url, personas allowed); see that module for the persona sets.
An office's admins and viewers (and operators) read its triage page and export its labels;
units, handlers and other offices get 403. The POSTs (office admins only) are checked in
tests/test_triage_settings.py.
"""

# POST-only URL names, each checked by its own test.
TRIAGE_POST = ["triage_categories", "triage_retrain"]

OFFICE_READERS = {"operator", "kf_office", "kf_viewer", "nm_office"}
KAIFU_READERS = {"operator", "kf_office", "kf_viewer"}
NAIMAN_READERS = {"operator", "nm_office"}


def triage_pages(w):
    from openday.opinions import services, triage
    from openday.opinions.models import TriageModel

    kf = w.users["kf_office"]
    o = services.submit_opinion(content="小区门口道路积水，请尽快维修。", source="forum",
                                office=w.kaifu, actor=kf)  # fmt: skip
    triage.record_label(kf, o, TriageModel.Target.CATEGORY, "城乡建设", suggested="城乡建设",
                        confidence=0.8)  # fmt: skip
    triage.record_label(kf, o, TriageModel.Target.UNIT, w.housing.pk)
    TriageModel.objects.create(office=w.kaifu, target=TriageModel.Target.CATEGORY, data=b"",
                               labels=["城乡建设", "交通运输"], examples=40, held_back=8,
                               score_new=0.61, score_old=0.72, active=False)  # fmt: skip
    k, n = w.kaifu.pk, w.naiman.pk
    return [
        ("triage_index", "/staff/triage/", OFFICE_READERS),
        ("triage_index", f"/staff/triage/?office={k}", KAIFU_READERS),
        ("triage_index", f"/staff/triage/?office={k}&target=unit&page=2", KAIFU_READERS),
        ("triage_index", f"/staff/triage/?office={n}", NAIMAN_READERS),
        ("triage_labels_xlsx", "/staff/triage/labels.xlsx", OFFICE_READERS),
        ("triage_labels_xlsx", f"/staff/triage/labels.xlsx?office={k}", KAIFU_READERS),
        ("triage_labels_xlsx", f"/staff/triage/labels.xlsx?office={n}", NAIMAN_READERS),
    ]
