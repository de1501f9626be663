"""The event questionnaire fits its event: the campaign's name for the day, only its parts (#19)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from openday.campaigns.models import Campaign
from openday.events import services as events
from openday.surveys.services import create_survey


def _event(world, kind, forms):
    from openday.demo.services import load_demo_campaigns

    load_demo_campaigns()
    campaign = Campaign.objects.filter(kind=kind).first()
    unit = campaign.office.children.filter(kind="unit").first() or world.housing
    start = timezone.now() + timedelta(days=5)
    event = events.create_event(
        world.users["operator"],
        unit,
        title=f"{unit.name}{campaign.year}年“{campaign.get_kind_display()}”活动",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        venues=[{"name": "会场"}],
        capacity=10,
        campaign=campaign,
        forms=forms,
    )
    return event


@pytest.mark.parametrize(
    ("kind", "day"),
    [(Campaign.Kind.THEME_DAY, "政务公开主题日"), (Campaign.Kind.OPEN_DAY, "政府开放日")],
)
def test_the_event_questionnaire_names_the_day_and_asks_only_about_its_parts(world, kind, day):
    event = _event(world, kind, ["实地观摩", "座谈交流"])
    survey = create_survey(world.users["operator"], event.unit, template="event", event=event)
    texts = [survey.title, survey.intro, *survey.questions.values_list("title", flat=True)]
    assert day in survey.title
    other = "政府开放日" if day == "政务公开主题日" else "政务公开主题日"
    assert not any(other in t for t in texts), texts
    matrix = survey.questions.get(kind="matrix")
    assert matrix.rows == ["实地观摩", "座谈交流"]


def test_without_an_event_the_preset_is_copied_as_it_is(world):
    survey = create_survey(world.users["operator"], world.housing, template="event")
    assert survey.title == "政府开放日活动满意度调查问卷"
    assert survey.questions.get(kind="matrix").rows == [
        "浏览介绍",
        "实地观摩",
        "座谈交流",
        "政策发布",
    ]
