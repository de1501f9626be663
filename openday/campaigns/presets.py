"""Campaign templates taken from the two seed documents.

The bodies name their placeholders in Chinese ({地点} is the office's region, {年份} the campaign
year; {截止日期}, {联系人}, {联系电话}, {邮箱}, {开展时间}… come from the campaign's own settings;
PLACEHOLDERS below lists them all, with the English names older bodies still use).
"""

TOPIC_AREAS = [
    "改革开放",
    "品质城市",
    "营商环境",
    "乡村振兴",
    "蓝天碧水",
    "民生实事",
    "社会治理",
    "政府自身建设",
]
THEME_DAY_FORMS = ["实地调研", "现场观摩", "座谈交流", "政策发布", "问卷调查"]
OPEN_DAY_FORMS = ["浏览介绍", "实地观摩", "座谈交流", "问卷调查"]
GUEST_CATEGORIES = [
    "人大代表",
    "政协委员",
    "专家学者",
    "新闻媒体",
    "企业",
    "个体工商户",
    "劳模道德模范",
    "普通群众",
]
FORBIDDEN_NAMES = ["校园开放日", "司法开放日", "警务开放日", "政务服务开放日"]

THEME_DAY_BODY = """一、活动主题
围绕贯彻落实全区“两会”精神和政府工作报告，聚焦社会关切和企业群众关注的事项，突出改革开放、品质城市、营商环境、乡村振兴、蓝天碧水、民生实事、社会治理、政府自身建设等重大主题，组织开展“政务公开主题日”活动。
二、活动目的
“政务公开主题日”活动旨在不断深化政务公开，构建政府与企业群众零距离沟通的有益“桥梁”。通过主动解读政策、听取群众意见、回应社会关切，全方位展示各单位的主要职能、制度规范、服务举措和创新成果，推动企业群众多渠道、多方位、多角度了解政府工作。
三、活动形式
（一）实地调研。围绕年度重点工作任务，组织人大代表、政协委员、专家学者、新闻媒体到重点项目建设、基础设施工程以及相关阶段性重大活动现场开展实地调研，研究提出更好落实政策、加快项目建设的意见建议。
（二）现场观摩。邀请人大代表、政协委员、专家学者、新闻媒体或市民群众现场观摩办事服务，“场景式”“体验式”展示相关办事流程和服务举措。
（三）座谈交流。采取召开座谈会的形式，向人大代表、政协委员、专家学者、新闻媒体或市民群众介绍本单位重点、亮点工作推进情况，主动接受监督、听取意见建议。
（四）政策发布。结合重大政策的制定出台，采取举办新闻发布会、开展政策宣传活动等方式，向社会公众“面对面”解读、“互动式”公开。
（五）问卷调查。结合本单位主责主业，面向社会组织开展线上线下问卷调查，掌握政策实施情况、存在实际问题和群众反映诉求。
四、时间安排
各单位要结合主责主业和工作实际确定{主题数}个活动主题，填写《{地点}{年份}年“政务公开主题日”活动主题申报表》（见附表），于{截止日期}前报{政务公开办}（联系人：{联系人}，联系电话：{联系电话}{邮箱}）。
{政务公开办}对各单位报送的活动主题进行梳理，制定出台全年“政务公开主题日”活动计划安排表，并将活动安排在{开展时间}开展。
五、工作保障
（一）加强组织领导。活动开展情况将纳入政务公开绩效考核和第三方评估指标范围。各单位要高度重视，精心组织，明确专门科室牵头负责，确保活动取得实效。
（二）突出公开主题。活动现场要设置、显示“政务公开主题日”LOGO醒目标识。各单位活动的会标可统一名称为：××××单位{年份}年“政务公开主题日”活动、××××单位{年份}年“政务公开主题日”活动暨××××，不得冠以“校园开放日”“司法开放日”“警务开放日”“政务服务开放日”等名称。
（三）广泛宣传推介。通过在新闻媒体发布宣传报道、在政府网站开设活动专栏、在政务新媒体发布活动消息等方式，扩大活动影响力，营造全社会知晓、全社会评价、全社会参与的活动氛围。"""

OPEN_DAY_BODY = """一、总体目标
按照依法行政、科学行政、民主行政和阳光行政的要求，以公开透明为原则，以政民互动为基本形式，让群众走进政府机关，了解政府运行，监督政府工作，搭建起政府与群众之间的沟通桥梁。
二、活动主题
本次活动主题为“{活动主题}”。
三、活动时间和地点
活动安排在{开展时间}开展，具体时间和地点由各单位申报、{政务公开办}统筹安排。
四、邀请对象
人员规模根据开放内容和实际情况，邀请人大代表、政协委员、劳模道德模范、媒体记者，企业、个体工商户，普通群众等。
五、活动内容
（一）浏览介绍：组织公众浏览各部门整体架构，由专人介绍各部门主要职能、办事程序、重点工作、联系方式等内容。
（二）实地观摩：邀请公众观摩服务大厅和项目现场，实地观摩了解情况。
（三）座谈交流：主要负责同志与公众代表面对面沟通交流，了解群众及企业诉求，解答热点问题，发放调查问卷，收集意见建议。
六、工作要求
（一）明确工作责任，确保工作实效。认真做好公众代表意见建议的收集、整理，分类汇总后逐一明确认领责任人、研究解决。对反馈意见的采纳及整改结果进行公开，并通过电话回访等方式了解开放对象满意度情况。
（二）加强组织领导，突出重点任务。活动开展前召开专题会议，对活动进行全面安排部署，让公开对象看得到、听得懂、能监督。
（三）完善活动流程，做好宣传报道。及时总结好经验、好做法，分析存在的不足和原因；通过微信公众号、宣传栏等形式广泛宣传。
各单位请于{截止日期}前报送活动申报表（联系人：{联系人}，联系电话：{联系电话}{邮箱}）。"""

PRESETS = {
    "theme_day": {
        "label": "政务公开主题日（区县，各单位申报主题，参照开福区方案）",
        "kind": "theme_day",
        "title": "{place}{year}年“政务公开主题日”活动实施方案",
        "theme": "",
        "recipients": "区属各单位、各街道：",
        "topic_areas": TOPIC_AREAS,
        "activity_forms": THEME_DAY_FORMS,
        "guest_categories": GUEST_CATEGORIES,
        "window": (4, 11),
        "name_patterns": [
            "{单位}{年度}年“政务公开主题日”活动",
            "{单位}{年度}年“政务公开主题日”活动暨{副题}",
        ],
        "forbidden_names": FORBIDDEN_NAMES,
        "body": THEME_DAY_BODY,
    },
    "open_day": {
        "label": "政府开放日（乡镇或旗县，参照沙日浩来镇方案）",
        "kind": "open_day",
        "title": "{place}{year}年“政府开放日”活动实施方案",
        "theme": "共同参与，以开放促发展",
        "recipients": "各单位、各部门：",
        "topic_areas": TOPIC_AREAS,
        "activity_forms": OPEN_DAY_FORMS,
        "guest_categories": GUEST_CATEGORIES,
        "window": (5, 10),
        "name_patterns": [
            "{单位}{年度}年“政府开放日”活动",
            "{单位}{年度}年“政府开放日”活动暨{副题}",
        ],
        "forbidden_names": FORBIDDEN_NAMES,
        "body": OPEN_DAY_BODY,
    },
}


# The placeholders of a 实施方案 as the staff see and type them, and the older English names
# that bodies saved before #19 still hold; both are filled in.
PLACEHOLDERS = {
    "地点": "place",
    "年份": "year",
    "截止日期": "deadline",
    "政务公开办": "office",
    "联系人": "contact",
    "联系电话": "phone",
    "邮箱": "email_part",
    "开展时间": "window",
    "主题数": "themes",
    "活动主题": "theme",
}


def fill_body(campaign):
    """The 实施方案 text with the campaign's own settings filled in."""
    office = campaign.office
    place = office.region.name if office.region else office.display_name
    deadline = campaign.declaration_deadline
    values = dict(
        place=place,
        year=campaign.year,
        office=office.name,
        themes={1: "1"}.get(campaign.themes_per_unit, str(campaign.themes_per_unit)),
        deadline=f"{deadline.year}年{deadline.month}月{deadline.day}日" if deadline else "",
        contact=campaign.contact_name or "",
        phone=campaign.contact_phone or "",
        email_part=f"，邮箱：{campaign.contact_email}" if campaign.contact_email else "",
        window=f"{campaign.year}年{campaign.window_start_month}—{campaign.window_end_month}月",
        theme=campaign.theme or "",
    )
    values.update({chinese: values[name] for chinese, name in PLACEHOLDERS.items()})
    return (campaign.body or "").format_map(_Missing(values))


class _Missing(dict):
    """Leaves unknown {placeholders} as they are instead of failing."""

    def __missing__(self, key):
        return "{" + key + "}"
