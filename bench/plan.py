"""Annual plan at scale: schedule 2,000 approved themes and export the plan.

Builds a scratch database (SQLite in a temp dir, or DATABASE_URL), 250 units with 8 approved
themes each, then times generate_plan (scheduler + database writes), the xlsx export and the
.docx export. Prints the figures; nothing is asserted.

    .venv/bin/python bench/plan.py
"""

import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENDAY_VAR_DIR", tempfile.mkdtemp(prefix="openday-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openday.settings")
os.environ.pop("OPENDAY_TESTING", None)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

UNITS, PER_UNIT = 250, 8


def build():
    from datetime import date

    from openday.campaigns import presets, services
    from openday.campaigns.models import Campaign, Declaration, DeclarationRow
    from openday.orgs.models import Org
    from openday.orgs.services import _set_path

    call_command("migrate", verbosity=0)
    office = Org.objects.create(name="压测区政务公开办", kind="office", doc_code="压政务公开办发")
    _set_path(office)
    fields = services.preset_fields("theme_day", office, 2023)
    fields.update(themes_per_unit=PER_UNIT, declaration_deadline=date(2023, 4, 3))
    campaign = services.create_campaign(None, office, **fields)
    campaign = services.issue_notice(None, campaign)
    rng = random.Random(2023)
    months = [4, 5, 6, 7, 8, 9, 9, 10, 10, 10, 11, 11]  # autumn-heavy, as in practice
    for i in range(UNITS):
        unit = Org.objects.create(name=f"压测单位{i:03d}", kind="unit", parent=office)
        _set_path(unit)
        d = Declaration.objects.create(campaign=campaign, unit=unit, status="approved",
                                       contact_name="办公室")  # fmt: skip
        d.contact_phone = f"1380000{i:04d}"
        d.save()
        DeclarationRow.objects.bulk_create(
            DeclarationRow(declaration=d, seq=k + 1, theme=f"压测主题{i:03d}-{k}",
                           month=rng.choice(months), forms=["座谈交流"],
                           topic_area=rng.choice(presets.TOPIC_AREAS), intro="介" * 40)
            for k in range(PER_UNIT)
        )  # fmt: skip
    return Campaign.objects.get(pk=campaign.pk)


def timed(fn, runs):
    times = []
    result = None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return result, statistics.median(times) * 1000, min(times) * 1000


def main():
    from django.db import connection

    from openday.campaigns import documents, services, workbooks

    campaign = build()
    _plan, first_ms, _ = timed(lambda: services.generate_plan(None, campaign), 1)
    plan, gen_median, gen_best = timed(lambda: services.generate_plan(None, campaign), 3)
    entries = lambda: list(campaign.plan_entries.select_related("unit"))  # noqa: E731
    data, xlsx_median, xlsx_best = timed(
        lambda: workbooks.plan_workbook(campaign, entries(), full_phone=True), 3
    )
    doc, docx_median, _ = timed(
        lambda: documents.plan_docx(campaign, entries(), full_phone=True), 1
    )
    by_rule = {}
    for p in plan.problems:
        by_rule[p.rule] = by_rule.get(p.rule, 0) + 1
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"database: {connection.vendor}")  # fmt: skip
    print(
        f"themes: {len(plan.slots)} ({UNITS} units × {PER_UNIT}), months 4–11, capacity {plan.month_capacity}"
    )
    print(f"generate_plan, first (scheduler + 2000 inserts): {first_ms:.0f} ms")
    print(
        f"generate_plan, again (scheduler + changed rows): median {gen_median:.0f} ms (best {gen_best:.0f} ms)"
    )
    print(
        f"plan.xlsx export: median {xlsx_median:.0f} ms (best {xlsx_best:.0f} ms), {len(data) // 1024} KiB"
    )
    print(f"plan.docx export: {docx_median:.0f} ms, {len(doc) // 1024} KiB")
    print(f"problems by rule: {by_rule or 'none'}")


if __name__ == "__main__":
    main()
