from django.core.management import call_command

from openday.accounts.models import User
from openday.demo import seed_data
from openday.demo.services import load_demo
from openday.orgs.models import Membership, Org, Region

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.backend.DatabaseBackend"}}


def test_the_demo_is_idempotent_and_prints_passwords_once(db, capsys):
    call_command("demo")
    out = capsys.readouterr().out
    assert "以上密码只显示这一次" in out
    counts = (Org.objects.count(), Region.objects.count(), User.objects.count(),
              Membership.objects.count())  # fmt: skip
    call_command("demo")
    again = capsys.readouterr().out
    assert "首次运行时已打印" in again and "以上密码只显示这一次" not in again
    assert counts == (Org.objects.count(), Region.objects.count(), User.objects.count(),
                      Membership.objects.count())  # fmt: skip
    call_command("demo", "--if-empty")
    assert "跳过演示数据加载" in capsys.readouterr().out


def test_demo_passwords_differ_per_install_and_pass_the_validators(db):
    from django.contrib.auth import password_validation

    first = {u: p for u, _n, _w, _r, p in load_demo()}
    second = {u: p for u, _n, _w, _r, p in load_demo(reset_passwords=True)}
    assert all(first[u] != second[u] for u in first)
    for username, password in second.items():
        password_validation.validate_password(password, User.objects.get(username=username))
        assert User.objects.get(username=username).check_password(password)


def test_the_demo_follows_the_seeds(db):
    load_demo()
    office = Org.objects.get(name=seed_data.KAIFU_OFFICE)
    assert office.doc_code == "开政务公开办发" and office.region.code == "430105"
    assert office.parent.parent.name == "湖南省政务公开政务服务领导小组办公室"
    assert office.children.filter(kind="unit").count() >= 15 + 10
    town = Org.objects.get(name=seed_data.TOWN)
    assert town.parent.name == "奈曼旗人民政府办公室" and town.region.parent.code == "150525"
    assert Region.objects.get(name="孟和杭沙尔村").parent == town.region
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {"office_admin", "unit_admin", "unit_staff", "handler", "viewer"}
    assert User.objects.filter(is_superuser=True).count() == 1
