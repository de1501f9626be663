"""Ready-made questionnaires staff start from. Each question is the keyword arguments of a Question;
show_if refers to an earlier question by its index in the list and is resolved when copied."""

SATISFACTION = ["非常满意", "满意", "一般", "不满意", "非常不满意"]
AGREEMENT = ["非常同意", "同意", "一般", "不同意", "非常不同意"]

PRESETS = {
    "event": {
        "name": "活动满意度（开放日座谈会）",
        "title": "政府开放日活动满意度调查问卷",
        "intro": "感谢您参加本次政府开放日活动。请花两分钟填写问卷，您的意见将作为我们改进工作的重要参考。",
        "questions": [
            {"kind": "section", "title": "一、活动评价"},
            {"kind": "rating", "title": "您对本次开放日活动的总体评价是", "options": SATISFACTION},
            {
                "kind": "matrix",
                "title": "请对以下各环节作出评价",
                "rows": ["浏览介绍", "实地观摩", "座谈交流", "政策发布"],
                "options": SATISFACTION,
            },
            {
                "kind": "multiple",
                "title": "您通过哪些渠道了解到本次活动？",
                "options": [
                    "政府网站",
                    "微信公众号",
                    "工作人员邀请",
                    "村（社区）通知",
                    "亲友介绍",
                    "其他",
                ],
                "min_choices": 1,
                "max_choices": 3,
            },
            {
                "kind": "score",
                "title": "您有多大可能向亲友推荐参加政府开放日？（0 分最不可能，10 分最可能）",
            },
            {"kind": "section", "title": "二、意见建议"},
            {
                "kind": "single",
                "title": "您对政府工作是否还有意见或建议？",
                "options": ["有", "没有"],
            },
            {
                "kind": "textarea",
                "title": "请写下您的意见或建议",
                "show_if": {"question": 6, "values": [1]},
            },
        ],
    },
    "policy": {
        "name": "政策意见征集",
        "title": "政策意见征集问卷",
        "intro": "本问卷就拟出台的政策征求意见，请结合您的实际情况作答。",
        "questions": [
            {
                "kind": "single",
                "title": "您此前是否了解这项政策？",
                "options": ["非常了解", "有些了解", "听说过", "不了解"],
            },
            {
                "kind": "matrix",
                "title": "您对政策以下方面的看法",
                "rows": ["目标明确", "措施可行", "覆盖面合适", "表述清楚易懂"],
                "options": AGREEMENT,
            },
            {"kind": "rating", "title": "总体上，您对这项政策的态度是", "options": AGREEMENT},
            {
                "kind": "multiple",
                "title": "您最希望通过哪些方式了解政策解读？",
                "options": [
                    "政府网站",
                    "微信公众号",
                    "短视频",
                    "社区宣讲",
                    "新闻媒体",
                    "政务服务大厅",
                ],
                "max_choices": 3,
                "required": False,
            },
            {"kind": "textarea", "title": "对政策条文的修改意见", "required": False},
        ],
    },
    "hall": {
        "name": "政务服务大厅办事体验",
        "title": "政务服务大厅办事体验调查",
        "intro": "请根据您本次在政务服务大厅办事的实际感受作答。",
        "questions": [
            {
                "kind": "single",
                "title": "您本次办理的事项属于",
                "options": ["企业开办", "不动产登记", "社保医保", "户籍证照", "税务", "其他"],
            },
            {
                "kind": "single",
                "title": "从取号到办结，您大约用了多长时间？",
                "options": ["15 分钟以内", "15–30 分钟", "30–60 分钟", "1 小时以上"],
            },
            {"kind": "single", "title": "是否一次办成？", "options": ["是", "否"]},
            {
                "kind": "text",
                "title": "没有一次办成的原因是",
                "show_if": {"question": 2, "values": [2]},
            },
            {
                "kind": "matrix",
                "title": "请对以下方面作出评价",
                "rows": ["指引标识", "工作人员态度", "办事效率", "材料要求清楚", "环境设施"],
                "options": SATISFACTION,
            },
            {"kind": "score", "title": "请为本次办事体验打分（0–10 分）"},
            {"kind": "textarea", "title": "您的其他意见建议", "required": False},
        ],
    },
}

CHOICES = [(key, p["name"]) for key, p in PRESETS.items()]
