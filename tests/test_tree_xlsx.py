import io

from openpyxl import Workbook, load_workbook

from openday.audit.models import AuditEntry
from openday.orgs.access import Access
from openday.orgs.models import Org, Region
from openday.orgs.tree_xlsx import ORG_HEADERS, REGION_HEADERS, export_workbook, import_workbook


def _book(regions=(), orgs=()):
    wb = Workbook()
    ws = wb.active
    ws.title = "行政区划"
    ws.append(REGION_HEADERS)
    for row in regions:
        ws.append(list(row))
    ws2 = wb.create_sheet("组织")
    ws2.append(ORG_HEADERS)
    for row in orgs:
        ws2.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


KAIFU = "开福区政务公开政务服务工作领导小组办公室"


def test_a_good_file_creates_regions_and_orgs(world, alice):
    data = _book(
        regions=[("430105001", "四方坪街道", "街道", "430105")],
        orgs=[
            (
                "开福区数据资源局",
                "区数据局",
                "单位",
                KAIFU,
                "430105",
                "李四",
                "0731-84390001",
                "",
                "",
            ),
            ("数据科", "", "部门", "开福区数据资源局", "430105", "", "", "", ""),
        ],
    )
    result = import_workbook(Access(alice), data)
    assert result.ok, result.errors
    assert (result.details["regions_created"], result.details["orgs_created"]) == (1, 2)
    dept = Org.objects.get(name="数据科")
    assert dept.parent.name == "开福区数据资源局" and dept.path.startswith(world.kaifu.path)
    assert Region.objects.get(code="430105001").parent.code == "430105"
    assert AuditEntry.objects.filter(action="org.imported", actor=alice).count() == 1


def test_any_bad_row_imports_nothing_and_every_bad_row_is_listed(world, alice):
    data = _book(
        regions=[("4301", "坏区划", "镇", "430105")],
        orgs=[
            ("开福区好单位", "", "单位", KAIFU, "", "", "", "", ""),
            ("坏电话单位", "", "单位", KAIFU, "", "", "123", "", ""),
            ("无上级部门", "", "部门", "不存在的单位", "", "", "", "", ""),
            ("错类型", "", "机关", KAIFU, "", "", "", "", ""),
        ],
    )
    before = (Org.objects.count(), Region.objects.count(), AuditEntry.objects.count())
    result = import_workbook(Access(alice), data)
    assert not result.ok
    rows = {(e.sheet, e.row) for e in result.errors}
    assert rows == {("行政区划", 2), ("组织", 3), ("组织", 4), ("组织", 5)}
    reasons = " ".join(e.reason for e in result.errors)
    for words in ("应为 9 位数字", "联系电话格式不正确", "找不到“不存在的单位”", "类型须为"):
        assert words in reasons
    assert (Org.objects.count(), Region.objects.count(), AuditEntry.objects.count()) == before
    assert result.details["orgs_created"] == 0


def test_an_office_cannot_import_into_another_tree(world, alice):
    data = _book(orgs=[("偷偷加的部门", "", "部门", "沙日浩来镇人民政府", "", "", "", "", "")])
    result = import_workbook(Access(alice), data)
    # Other trees are not even looked up, so their names neither clash nor leak.
    assert not result.ok and "找不到“沙日浩来镇人民政府”" in result.errors[0].reason
    assert not Org.objects.filter(name="偷偷加的部门").exists()


def test_export_then_import_round_trips(world, alice):
    data = export_workbook(Access(alice))
    wb = load_workbook(io.BytesIO(data))
    names = [row[0] for row in wb["组织"].iter_rows(min_row=2, values_only=True)]
    assert KAIFU in names and "开福区财政局" in names and "沙日浩来镇人民政府" not in names
    before = Org.objects.count()
    result = import_workbook(Access(alice), data)
    assert result.ok, result.errors
    assert result.details["orgs_created"] == 0 and result.details["orgs_updated"] == len(names)
    assert Org.objects.count() == before


def test_export_is_the_visible_subtree_only(world, bob):
    wb = load_workbook(io.BytesIO(export_workbook(Access(bob))))
    names = [row[0] for row in wb["组织"].iter_rows(min_row=2, values_only=True)]
    assert names == ["开福区住房和城乡建设局"]


def test_a_file_that_is_not_xlsx_is_refused_politely(world, alice):
    result = import_workbook(Access(alice), b"not a workbook")
    assert not result.ok and "无法读取文件" in result.errors[0].reason


def test_missing_columns_are_named(world, alice):
    wb = Workbook()
    wb.active.title = "组织"
    wb.active.append(["名称", "类型"])
    buf = io.BytesIO()
    wb.save(buf)
    result = import_workbook(Access(alice), buf.getvalue())
    assert "表头缺少列" in result.errors[0].reason and "上级组织" in result.errors[0].reason


def test_the_import_page_lists_errors_and_the_template_downloads(client, world, alice):
    client.force_login(alice)
    template = client.get("/staff/orgs/import/template.xlsx")
    assert template.status_code == 200
    assert load_workbook(io.BytesIO(template.content)).sheetnames[:2] == ["行政区划", "组织"]
    data = _book(orgs=[("坏电话单位", "", "单位", KAIFU, "", "", "123", "", "")])
    upload = io.BytesIO(data)
    upload.name = "tree.xlsx"
    response = client.post("/staff/orgs/import/", {"file": upload})
    page = response.content.decode()
    assert response.status_code == 400
    assert "文件未导入" in page and "第 2 行" in page and "联系电话格式不正确" in page
    upload = io.BytesIO(b"x")
    upload.name = "tree.csv"
    page = client.post("/staff/orgs/import/", {"file": upload}).content.decode()
    assert "请上传 .xlsx 文件" in page


def test_an_office_cannot_rewrite_another_offices_regions(world, alice):
    data = _book(regions=[("", "沙日浩来镇", "镇", "150525")])
    result = import_workbook(Access(alice), data)
    assert result.ok  # unchanged rows are accepted as they are
    data = _book(regions=[("", "新设镇", "镇", "150525")])
    result = import_workbook(Access(alice), data)
    assert not result.ok and "不在本办所辖范围内" in result.errors[0].reason


def test_import_keeps_a_disabled_org_disabled(world, alice):
    from openday.orgs import services

    services.update_org(alice, world.street, is_active=False)
    result = import_workbook(Access(alice), export_workbook(Access(alice)))
    assert result.ok, result.errors
    world.street.refresh_from_db()
    assert world.street.is_active is False


def test_a_kind_change_by_import_needs_fitting_roles(world, alice):
    data = _book(orgs=[("开福区住房和城乡建设局", "", "政务公开办", KAIFU, "", "", "", "", "")])
    result = import_workbook(Access(alice), data)
    assert not result.ok
    assert "上级只能是上级政务公开办" in result.errors[0].reason or "角色与新类型不符" in (
        result.errors[0].reason
    )
