from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from openday.demo.living import load_living_year
from openday.demo.services import load_demo
from openday.orgs.models import Org, Role

ROLE_LABELS = {**dict(Role.choices), "operator": "系统运维"}


class Command(BaseCommand):
    help = (
        "加载根据两份实施方案构建的演示数据：去年的完整活动和今年围绕今天的活动"
        "（可重复运行，只补缺不覆盖）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="数据库中已有组织时什么也不做")
        parser.add_argument(
            "--reset-passwords", action="store_true", help="为演示账户重新生成密码并打印"
        )

    def handle(self, if_empty, reset_passwords, **options):
        if if_empty and Org.objects.exists() and not reset_passwords:
            self.stdout.write("数据库中已有数据，跳过演示数据加载。")
            self._print()
            return
        accounts = load_demo(reset_passwords=reset_passwords)
        today = timezone.localdate()
        with transaction.atomic():
            load_living_year(today)
        self.stdout.write(self.style.SUCCESS("演示数据已就绪。"))
        self._today(today)
        self._print(accounts)

    def _today(self, today):
        from openday.events.models import Event
        from openday.opinions.models import Opinion
        from openday.surveys.services import open_surveys

        now = timezone.now()
        open_events = Event.objects.filter(status=Event.Status.OPEN, starts_at__gt=now)
        held_today = Event.objects.filter(starts_at__date=today).exclude(status="draft")
        self.stdout.write(
            f"\n今天（{today.year}年{today.month}月{today.day}日）可以试用："
            f"报名中的活动 {open_events.count()} 场，今天举办的活动 {held_today.count()} 场，"
            f"正在收集的问卷 {open_surveys().count()} 份，"
            f"已公开办理结果的意见建议 {Opinion.objects.filter(status='published').count()} 条。"
        )

    def _print(self, accounts=None):
        from openday.demo import seed_data

        self.stdout.write("\n演示账户（登录地址 /staff/login/）：")
        if accounts is None:
            from openday.accounts.models import User

            existing = set(User.objects.values_list("username", flat=True))
            accounts = [
                (u, n, o or "全部（系统运维）", r, None)
                for u, n, o, r, _t in seed_data.ACCOUNTS
                if u in existing
            ]
            if not accounts:
                return
        shown = False
        for username, _full_name, where, role, password in accounts:
            secret = password or "（首次运行时已打印）"
            shown = shown or bool(password)
            self.stdout.write(f"  {username:<15} {secret:<20} {ROLE_LABELS[role]}  {where}")
        if shown:
            self.stdout.write(self.style.WARNING("以上密码只显示这一次，请妥善保存。"))
        else:
            self.stdout.write("忘记密码可运行：.venv/bin/openday demo --reset-passwords")
