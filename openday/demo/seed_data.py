"""Demo organizations built from the two seed documents (public names)."""

REGIONS = [
    # (code, name, level, parent code or name)
    ("430000", "湖南省", "province", ""),
    ("430100", "长沙市", "city", "430000"),
    ("430105", "开福区", "county", "430100"),
    ("150000", "内蒙古自治区", "province", ""),
    ("150500", "通辽市", "city", "150000"),
    ("150525", "奈曼旗", "county", "150500"),
    ("", "沙日浩来镇", "town", "150525"),
    ("", "孟和杭沙尔村", "village", "沙日浩来镇"),
]

KAIFU_OFFICE = "开福区政务公开政务服务工作领导小组办公室"
NAIMAN_OFFICE = "奈曼旗人民政府办公室"
TOWN = "沙日浩来镇人民政府"

# (name, short name, kind, parent name, region code or name, contact, phone, email, doc code)
ORGS = [
    (
        "湖南省政务公开政务服务领导小组办公室",
        "省政务公开办",
        "office",
        "",
        "430000",
        "",
        "",
        "",
        "湘政务公开办发",
    ),
    (
        "长沙市政务公开政务服务工作领导小组办公室",
        "市政务公开办",
        "office",
        "湖南省政务公开政务服务领导小组办公室",
        "430100",
        "",
        "",
        "",
        "",
    ),
    (
        KAIFU_OFFICE,
        "区政务公开办",
        "office",
        "长沙市政务公开政务服务工作领导小组办公室",
        "430105",
        "余妙",
        "0731-84390197",
        "kfzwgk@163.com",
        "开政务公开办发",
    ),
    ("内蒙古自治区人民政府办公厅", "自治区政府办", "office", "", "150000", "", "", "", ""),
    (
        "通辽市人民政府办公室",
        "市政府办",
        "office",
        "内蒙古自治区人民政府办公厅",
        "150500",
        "",
        "",
        "",
        "",
    ),
    (NAIMAN_OFFICE, "旗政府办", "office", "通辽市人民政府办公室", "150525", "", "", "", "奈政办字"),
    (TOWN, "沙日浩来镇", "unit", NAIMAN_OFFICE, "沙日浩来镇", "", "", "", ""),
]

KAIFU_UNITS = [
    "开福区人民政府办公室",
    "开福区发展和改革局",
    "开福区教育局",
    "开福区工业和信息化局",
    "开福区民政局",
    "开福区司法局",
    "开福区财政局",
    "开福区人力资源和社会保障局",
    "开福区住房和城乡建设局",
    "开福区城市管理和综合执法局",
    "开福区农业农村局",
    "开福区商务局",
    "开福区文化旅游体育局",
    "开福区卫生健康局",
    "开福区退役军人事务局",
    "开福区应急管理局",
    "开福区市场监督管理局",
    "开福区医疗保障局",
    "开福区行政审批服务局",
    "长沙市生态环境局开福分局",
    "长沙市自然资源和规划局开福分局",
]

KAIFU_STREETS = [
    "东风路街道",
    "望麓园街道",
    "湘雅路街道",
    "清水塘街道",
    "浏阳河街道",
    "新河街道",
    "通泰街街道",
    "伍家岭街道",
    "四方坪街道",
    "洪山街道",
    "月湖街道",
    "秀峰街道",
    "学堂坡街道",
    "捞刀河街道",
    "青竹湖街道",
    "沙坪街道",
    "芙蓉北路街道",
]

TOWN_DEPARTMENTS = [
    "党政综合办公室",
    "党建工作办公室",
    "经济发展办公室",
    "社会事务办公室",
    "平安建设办公室",
    "综合保障和技术推广中心",
    "便民服务中心（综合服务大厅）",
]
VILLAGE_COMMITTEE = "孟和杭沙尔村村民委员会"

# One account per role; passwords are generated when an account is first created.
ACCOUNTS = [
    # (username, full name, org name, role, title)
    ("ops", "系统运维（演示）", None, "operator", ""),
    ("kf-office", "区政务公开办管理员（演示）", KAIFU_OFFICE, "office_admin", "政务公开股"),
    ("kf-viewer", "区政务公开办查看员（演示）", KAIFU_OFFICE, "viewer", "分管领导"),
    (
        "kf-unit-admin",
        "区住建局管理员（演示）",
        "开福区住房和城乡建设局",
        "unit_admin",
        "办公室主任",
    ),
    ("kf-unit-staff", "区住建局工作人员（演示）", "开福区住房和城乡建设局", "unit_staff", "科员"),
    ("kf-handler", "区住建局办理人（演示）", "开福区住房和城乡建设局", "handler", "建设管理科"),
    ("nm-office", "旗政府办管理员（演示）", NAIMAN_OFFICE, "office_admin", "政务公开股"),
    ("shrhl-admin", "沙日浩来镇管理员（演示）", TOWN, "unit_admin", "党政综合办公室"),
    ("shrhl-handler", "沙日浩来镇办理人（演示）", "党政综合办公室", "handler", "干事"),
]
