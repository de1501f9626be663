"""Every kind of SMS and email the product sends: its name, its text and its variables.

Chinese SMS gateways send only templates approved in their console, so each kind's text is a
template with named variables: the operator registers one template per kind with the same
variables (docs/operator.md 2.5) and maps the kind to its template code in
OPENDAY_SMS_TEMPLATES. The message keeps the values (OutboundMessage.params) and the text
rendered here (for the log sender, email, and a gateway's "default" template).
"""

import string

KINDS = {
    "registration_confirmed": ("报名成功", "您已成功报名“{event}”，电子票号 {ticket}。"),
    "registration_promoted": (
        "候补转为报名成功",
        "您候补的“{event}”已有空位，现已报名成功，电子票号 {ticket}。",
    ),
    "registration_approved": ("报名审核通过", "您报名的“{event}”已通过审核，电子票号 {ticket}。"),
    "registration_waitlisted": (
        "报名审核通过、列入候补",
        "您报名的“{event}”已通过审核，目前名额已满，已列入候补。",
    ),
    "registration_rejected": ("报名未通过审核", "很抱歉，您报名的“{event}”未通过审核。"),
    "event_reminder": (
        "活动前一天提醒",
        "提醒：您报名的“{event}”将于{time}在{place}举行，请携带电子票（票号 {ticket}）按时参加。"
        "如不能参加，请用电子票取消报名。",
    ),
    "invitation": (
        "邀请函",
        "{name}您好，{unit}诚邀您参加“{event}”（{time}）。报名或谢绝请点击：{link}",
    ),
    "invitation_reminder": ("邀请回复提醒", "{name}您好，提醒您回复是否参加“{event}”：{link}"),
    "opinion_result": (
        "意见办理结果",
        "您提出的意见（查询码 {code}）已办理完毕，采纳情况：{decision}。可凭查询码和手机号后四位查看答复。",
    ),
    "declaration_reminder": (
        "申报提醒",
        "{office}提醒：{campaign}的活动主题申报截止日期为{deadline}，贵单位尚未提交申报表，"
        "请及时登录开放日系统填报。",
    ),
}


def variables(kind: str) -> list[str]:
    """The names of a kind's variables, in the order they appear in its text."""
    return [name for _, name, _, _ in string.Formatter().parse(KINDS[kind][1]) if name]


def render(kind: str, **params) -> str:
    """The text of a message of this kind; raises KeyError for an unknown kind or variable."""
    return KINDS[kind][1].format(**params)


def label(kind: str) -> str:
    return KINDS[kind][0] if kind in KINDS else "其他"
