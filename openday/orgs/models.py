from django.conf import settings
from django.db import models


class Region(models.Model):
    """An administrative division, with its GB/T 2260 code where known."""

    class Level(models.TextChoices):
        PROVINCE = "province", "省级"
        CITY = "city", "市级"
        COUNTY = "county", "县级"
        TOWN = "town", "乡镇级"
        VILLAGE = "village", "村级"

    DEPTH = {"province": 1, "city": 2, "county": 3, "town": 4, "village": 5}

    name = models.CharField("名称", max_length=64)
    code = models.CharField("区划代码", max_length=12, blank=True)
    level = models.CharField("级别", max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=~models.Q(code=""), name="region_code_unique"
            ),
            models.UniqueConstraint(fields=["parent", "name"], name="region_name_unique_in_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def full_name(self) -> str:
        names: list[str] = []
        node: Region | None = self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " > ".join(reversed(names))


def region_paths() -> dict[int, list[Region]]:
    """{region id: [the region and its ancestors, top first]} from one query."""
    regions: dict[int | None, Region] = {r.pk: r for r in Region.objects.all()}
    paths = {}
    for r in regions.values():
        chain: list[Region] = []
        node: Region | None = r
        while node is not None:
            chain.append(node)
            node = regions.get(node.parent_id)
        paths[r.pk] = list(reversed(chain))
    return paths


class Org(models.Model):
    """An office, a unit or a department. The tree is kept as a materialized path."""

    class Kind(models.TextChoices):
        OFFICE = "office", "政务公开办"
        UNIT = "unit", "单位"
        DEPARTMENT = "department", "部门"

    name = models.CharField("名称", max_length=100)
    short_name = models.CharField("简称", max_length=32, blank=True)
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="orgs"
    )
    contact_name = models.CharField("联系人", max_length=64, blank=True)
    contact_phone = models.CharField("联系电话", max_length=32, blank=True)
    email = models.EmailField("电子邮箱", blank=True)
    # 发文字号代字 of an office, e.g. 开政务公开办发 in 开政务公开办发〔2023〕1号.
    doc_code = models.CharField("发文字号代字", max_length=32, blank=True)
    is_active = models.BooleanField("启用", default=True)
    # "000001/000007/": ancestors' ids then its own; a subtree is path__startswith.
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="org_name_unique_in_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    @property
    def depth(self) -> int:
        return self.path.count("/")

    @property
    def audit_org(self) -> "Org":
        return self

    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.split("/") if part]

    def is_within(self, other: "Org") -> bool:
        return self.path.startswith(other.path)


class Role(models.TextChoices):
    OFFICE_ADMIN = "office_admin", "政务公开办管理员"
    UNIT_ADMIN = "unit_admin", "单位管理员"
    UNIT_STAFF = "unit_staff", "单位工作人员"
    HANDLER = "handler", "办理人"
    VIEWER = "viewer", "只读查看"


# Which roles an org of each kind can hold.
ROLES_FOR_KIND: dict[str, list[Role]] = {
    Org.Kind.OFFICE: [Role.OFFICE_ADMIN, Role.HANDLER, Role.VIEWER],
    Org.Kind.UNIT: [Role.UNIT_ADMIN, Role.UNIT_STAFF, Role.HANDLER, Role.VIEWER],
    Org.Kind.DEPARTMENT: [Role.UNIT_ADMIN, Role.UNIT_STAFF, Role.HANDLER, Role.VIEWER],
}
MANAGING_ROLES = {Role.OFFICE_ADMIN, Role.UNIT_ADMIN}


class Membership(models.Model):
    """A person's role in one organization; a person can hold roles in several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField("角色", max_length=16, choices=Role.choices)
    title = models.CharField("职务", max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["org__path", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "org"], name="one_role_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.org}: {self.get_role_display()}"

    @property
    def audit_org(self) -> Org:
        return self.org

    @property
    def is_managing(self) -> bool:
        return self.role in MANAGING_ROLES
