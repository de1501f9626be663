"""Seed the official holidays and make-up working days of 2023-2026 from chinese-calendar.

Read from the pinned library at migration time, so a fresh database has the State Council's
arrangements without any download. Later years are added by office admins (see the docs).
"""

from django.db import migrations

FIRST_YEAR, LAST_YEAR = 2023, 2026
# chinese-calendar's short names, spelled as the State Council's notices spell them.
NOTICE_NAMES = {"清明": "清明节", "端午": "端午节", "中秋": "中秋节"}


def _name(english):
    import chinese_calendar

    try:
        chinese = chinese_calendar.Holiday(english).chinese
    except ValueError:
        return english[:50]
    return NOTICE_NAMES.get(chinese, chinese)


def seed(apps, schema_editor):
    import chinese_calendar

    SpecialDay = apps.get_model("workdays", "SpecialDay")
    rows = []
    for table, kind in ((chinese_calendar.holidays, "holiday"), (chinese_calendar.workdays, "workday")):
        for day, english in table.items():
            if FIRST_YEAR <= day.year <= LAST_YEAR:
                rows.append(SpecialDay(date=day, kind=kind, name=_name(english), source="seed"))
    existing = set(SpecialDay.objects.values_list("date", flat=True))
    SpecialDay.objects.bulk_create(
        sorted((r for r in rows if r.date not in existing), key=lambda r: r.date)
    )


def unseed(apps, schema_editor):
    SpecialDay = apps.get_model("workdays", "SpecialDay")
    SpecialDay.objects.filter(
        source="seed", date__year__gte=FIRST_YEAR, date__year__lte=LAST_YEAR
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("workdays", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
