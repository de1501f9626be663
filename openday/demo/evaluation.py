"""Demo evaluation data for 开福区's campaign of a year (2023 unless told otherwise) (run after openday.demo.services loaders)."""

from django.db import transaction

DEMO_ADJUSTMENT = (
    "四方坪街道",
    "-1",
    "活动现场未设置“政务公开主题日”LOGO标识，按实施方案“突出公开主题”的要求扣 1 分。",
)
DEMO_AWARD = (
    "开福区住房和城乡建设局",
    "围绕老旧小区改造组织人大代表、政协委员和居民现场观摩，意见建议按期答复、整改到位。",
)


def load_demo_evaluation(year: int = 2023):
    """A scheme with the default weights, one adjustment with its reason and one award.

    Idempotent: does nothing that is already there; returns the scheme (or None without the
    demo campaign)."""
    from openday.accounts.models import User
    from openday.campaigns.models import Campaign
    from openday.demo import seed_data as seed
    from openday.evaluation import services
    from openday.evaluation.models import Award
    from openday.orgs.models import Org

    campaign = Campaign.objects.filter(office__name=seed.KAIFU_OFFICE, year=year).first()
    actor = User.objects.filter(username="kf-office").first()
    if campaign is None or actor is None:
        return None
    with transaction.atomic():
        scheme = services.scheme_for(campaign, actor)
        name, points, reason = DEMO_ADJUSTMENT
        unit = Org.objects.filter(parent=campaign.office, name=name).first()
        if unit is not None and not scheme.adjustments.exists():
            services.adjust(actor, scheme, unit, points, reason)
        name, citation = DEMO_AWARD
        unit = Org.objects.filter(parent=campaign.office, name=name).first()
        if unit is not None and not scheme.awards.exists():
            services.mark_award(actor, scheme, Award.Kind.EXCELLENT_UNIT, unit, citation=citation)
    return scheme
