import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openday.audit.models import AuditEntry
from openday.orgs import services
from openday.orgs.access import Access
from openday.orgs.models import Membership, Org, Region, Role


def _unit(actor, parent, name="开福区测试局", **extra):
    return services.create_org(actor, name=name, kind="unit", parent=parent, **extra)


def test_an_office_admin_adds_a_unit_to_the_tree(alice, world):
    unit = _unit(alice, world.kaifu, contact_phone="0731-84390000")
    assert unit.path.startswith(world.kaifu.path) and unit.path.endswith(f"{unit.pk:08d}/")
    assert Access(alice).can_manage_org(unit)
    entry = AuditEntry.objects.get(action="org.created", object_id=str(unit.pk))
    assert entry.actor == alice and entry.changes["name"] == [None, "开福区测试局"]


def test_a_unit_admin_cannot_add_a_unit_to_the_office(bob, world):
    with pytest.raises(PermissionDenied):
        _unit(bob, world.kaifu)


def test_another_office_cannot_touch_alices_tree(charlie, world):
    with pytest.raises(PermissionDenied):
        services.update_org(charlie, world.housing, name="改名", kind="unit", parent=world.kaifu)


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"kind": "unit", "parent": None}, "parent", "单位的上级必须是政务公开办"),
        ({"kind": "department", "parent": "kaifu"}, "parent", "部门的上级必须是单位或部门"),
        ({"kind": "unit", "doc_code": "开住建发"}, "doc_code", "只有政务公开办"),
        ({"kind": "office", "doc_code": "开2023发"}, "doc_code", "2–20 个汉字"),
        ({"contact_phone": "12345"}, "contact_phone", "联系电话格式不正确"),
        ({"email": "not-an-email"}, "email", "电子邮箱格式不正确"),
        ({"name": "  "}, "name", "请填写组织名称"),
        ({"name": "开福区财政局"}, "name", "同一上级下已有"),
    ],
)
def test_bad_org_fields_are_explained(world, fields, field, words):
    data = {"name": "新单位", "kind": "unit", "parent": world.kaifu}
    data.update(fields)
    if data.get("parent") == "kaifu":
        data["parent"] = world.kaifu
    with pytest.raises(ValidationError) as exc:
        services.check_org(**data)
    assert words in " ".join(exc.value.message_dict[field])


def test_moving_an_org_moves_its_subtree(world):
    ops = world.users["operator"]
    town = world.town
    dept_paths_before = list(town.children.values_list("path", flat=True))
    services.update_org(ops, town, parent=world.kaifu)
    town.refresh_from_db()
    assert town.path.startswith(world.kaifu.path)
    for dept in town.children.all():
        assert dept.path.startswith(town.path)
    assert len(dept_paths_before) == town.children.count()
    # The town's admin still manages its departments; Alice now sees them too.
    assert Access(world.users["town_admin"]).can_manage_org(Org.objects.get(pk=world.town_dept.pk))
    assert Access(world.users["kf_office"]).can_see_org(Org.objects.get(pk=world.town_dept.pk))


def test_an_org_cannot_move_below_itself(world):
    ops = world.users["operator"]
    with pytest.raises(ValidationError) as exc:
        services.update_org(ops, world.town, parent=world.town_dept, kind="department")
    assert "不能把组织移到它自己" in str(exc.value) or "已有下级组织" in str(exc.value)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"code": "4301"}, "应为 9 位数字"),
        ({"code": "43010A001"}, "只能由数字组成"),
        ({"code": "150525001"}, "与上级“开福区”（430105）不一致"),
        ({"level": "city"}, "不能作为市级的上级"),
        ({"code": "430105"}, "应为 9 位数字"),
    ],
)
def test_bad_regions_are_explained(world, fields, words):
    data = {"name": "四方坪街道", "code": "430105001", "level": "town",
            "parent": Region.objects.get(code="430105")}  # fmt: skip
    data.update(fields)
    with pytest.raises(ValidationError) as exc:
        services.check_region(**data)
    assert words in " ".join(exc.value.messages)


def test_regions_are_kept_by_office_admins_only(world, alice, bob):
    county = Region.objects.get(code="430105")
    region = services.save_region(
        alice, name="四方坪街道", code="430105001", level="town", parent=county
    )
    assert region.parent == county
    with pytest.raises(PermissionDenied):
        services.save_region(bob, name="洪山街道", code="430105002", level="town", parent=county)
    assert AuditEntry.objects.filter(action="region.created", actor=alice).exists()


def test_roles_are_granted_changed_and_revoked_with_an_audit_trail(world, bob):
    dave = world.users["norole"]
    m = services.grant_role(bob, world.housing, dave, Role.UNIT_STAFF, title="科员")
    assert Access(dave).can_see_org(world.housing) and not Access(dave).can_manage_org(
        world.housing
    )
    services.change_role(bob, m, Role.HANDLER)
    services.revoke_role(bob, Membership.objects.get(pk=m.pk))
    actions = list(
        AuditEntry.objects.filter(object_type="orgs.membership").values_list("action", flat=True)
    )
    assert sorted(actions) == ["membership.changed", "membership.granted", "membership.revoked"]


def test_a_unit_admin_cannot_make_anyone_an_office_admin(world, bob):
    with pytest.raises((PermissionDenied, ValidationError)):
        services.grant_role(bob, world.housing, world.users["norole"], Role.OFFICE_ADMIN)
    with pytest.raises(PermissionDenied):
        services.grant_role(bob, world.kaifu, world.users["norole"], Role.VIEWER)


def test_nobody_changes_their_own_role(world, bob):
    own = Membership.objects.get(user=bob)
    with pytest.raises(PermissionDenied):
        services.change_role(bob, own, Role.UNIT_STAFF)
    with pytest.raises(PermissionDenied):
        services.revoke_role(bob, own)


def test_a_person_can_hold_roles_in_several_orgs(world, alice):
    eve = world.users["norole"]
    services.grant_role(alice, world.housing, eve, Role.HANDLER)
    services.grant_role(alice, world.street, eve, Role.UNIT_STAFF)
    access = Access(eve)
    assert access.can_see_org(world.housing) and access.can_see_org(world.street)
    assert not access.can_see_org(world.kaifu)
    with pytest.raises(ValidationError):
        services.grant_role(alice, world.street, eve, Role.VIEWER)


def test_adding_a_new_person_shows_a_one_time_password(client, world, bob):
    client.force_login(bob)
    response = client.post(f"/staff/orgs/{world.housing.pk}/members/add/", {
        "username": "new-staff", "full_name": "王五", "phone": "13812345678", "role": "unit_staff",
    })  # fmt: skip
    page = response.content.decode()
    assert "只显示这一次" in page
    member = Membership.objects.get(user__username="new-staff")
    assert member.org == world.housing and member.user.must_change_password
    # Stored encrypted, found by keyed hash, shown masked to those who do not manage.
    assert "13812345678" not in member.user.phone_encrypted
    client.force_login(world.users["unit_staff"])
    detail = client.get(f"/staff/orgs/{world.housing.pk}/").content.decode()
    assert "138****5678" in detail and "13812345678" not in detail
    client.force_login(bob)
    assert "13812345678" in client.get(f"/staff/orgs/{world.housing.pk}/").content.decode()


def test_a_rejected_member_form_keeps_what_was_typed(client, world, bob):
    client.force_login(bob)
    response = client.post(f"/staff/orgs/{world.housing.pk}/members/add/", {
        "username": "another", "full_name": "", "phone": "12", "role": "unit_staff",
    })  # fmt: skip
    page = response.content.decode()
    assert "手机号格式不正确" in page and 'value="another"' in page


def test_the_org_form_keeps_input_and_explains(client, world, alice):
    client.force_login(alice)
    response = client.post("/staff/orgs/new/", {
        "name": "开福区新设局", "kind": "unit", "parent": world.kaifu.pk, "contact_phone": "abc",
        "is_active": "on",
    })  # fmt: skip
    page = response.content.decode()
    assert "联系电话格式不正确" in page and 'value="开福区新设局"' in page
    assert not Org.objects.filter(name="开福区新设局").exists()


def test_the_org_list_does_not_query_per_row(client, world, alice):
    client.force_login(alice)
    client.get("/staff/orgs/")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/staff/orgs/")
    assert response.status_code == 200 and "开福区财政局" in response.content.decode()
    assert len(ctx.captured_queries) <= 8, [q["sql"] for q in ctx.captured_queries]


def test_the_org_list_filters_and_paginates(client, world, alice):
    client.force_login(alice)
    page = client.get("/staff/orgs/", {"q": "街道"}).content.decode()
    assert "四方坪街道" in page and "开福区财政局" not in page
    empty = client.get("/staff/orgs/", {"q": "不存在的单位"}).content.decode()
    assert "没有符合条件的组织" in empty


def test_a_unit_admin_cannot_manage_an_office_admin_who_also_sits_in_the_unit(
    client, world, alice, bob
):
    services.grant_role(alice, world.housing, alice_viewer := world.users["kf_viewer"], Role.VIEWER)
    # kf_viewer now has roles in the office (viewer) and in Bob's unit (viewer).
    assert not Access(bob).can_manage_user(alice_viewer)
    client.force_login(bob)
    assert client.post(f"/staff/users/{alice_viewer.pk}/reset-password/").status_code == 403
    assert client.get(f"/staff/users/{alice_viewer.pk}/").status_code == 403
    # Alice manages both orgs, so she may.
    assert Access(alice).can_manage_user(alice_viewer)


def test_creating_a_colleague_is_in_the_office_audit_log(client, world, alice, bob):
    client.force_login(bob)
    client.post(f"/staff/orgs/{world.housing.pk}/members/add/", {
        "username": "zhao", "full_name": "赵六", "role": "handler",
    })  # fmt: skip
    client.force_login(alice)
    page = client.get("/staff/audit/").content.decode()
    assert "新建账户" in page and "授予角色" in page and "赵六" in page


def test_a_unit_admin_cannot_turn_the_unit_into_an_office(world, bob):
    with pytest.raises(PermissionDenied):
        services.update_org(bob, world.housing, kind="office", parent=world.kaifu)
    world.housing.refresh_from_db()
    assert world.housing.kind == "unit"


def test_a_kind_change_keeps_roles_consistent(world, alice):
    # The housing bureau has unit admins and staff; a department may hold those, an office not.
    services.update_org(alice, world.street, kind="unit")
    with pytest.raises(ValidationError):
        services.update_org(alice, world.housing, kind="office")


def test_a_unit_admin_cannot_claim_someone_elses_account(client, world, bob):
    client.force_login(bob)
    response = client.post(f"/staff/orgs/{world.housing.pk}/members/add/", {
        "username": "kf-office", "role": "viewer",
    })  # fmt: skip
    assert "已被其他单位使用" in response.content.decode()
    assert not Membership.objects.filter(user__username="kf-office", org=world.housing).exists()


def test_people_keep_their_own_profile(client, world, bob):
    client.force_login(bob)
    bad = client.post("/staff/account/", {"full_name": "鲍勃", "phone": "0731-84390197"})
    assert "手机号格式不正确" in bad.content.decode() and 'value="鲍勃"' in bad.content.decode()
    client.post("/staff/account/", {"full_name": "鲍勃", "phone": "+86 138 1234 5678"})
    bob.refresh_from_db()
    assert bob.phone == "13812345678" and bob.full_name == "鲍勃"
    entry = AuditEntry.objects.get(action="user.updated", actor=bob)
    # The audit log never holds the full number.
    assert entry.changes["phone"] == ["", "138****5678"] and entry.org == world.housing


def test_someone_whose_roles_were_all_revoked_can_be_added_back_by_their_unit(client, world, bob):
    carol = world.staff_membership.user
    services.revoke_role(bob, world.staff_membership)
    assert Access(bob).can_manage_user(carol)
    assert not Access(world.users["nm_office"]).can_manage_user(carol)
    client.force_login(bob)
    client.post(f"/staff/orgs/{world.housing.pk}/members/add/", {
        "username": carol.username, "role": "unit_staff",
    })  # fmt: skip
    assert Membership.objects.filter(user=carol, org=world.housing).exists()


def test_an_office_admin_edits_the_office_region_without_owning_its_parent(world, alice):
    county = Region.objects.get(code="430105")
    services.save_region(alice, instance=county, name="开福区", code="430105", level="county",
                         parent=county.parent)  # fmt: skip
    city = county.parent
    with pytest.raises(PermissionDenied):
        services.save_region(alice, instance=city, name="长沙", code="430100", level="city",
                             parent=city.parent)  # fmt: skip
