from django.core.management.base import BaseCommand

from openday.demo.evaluation import load_demo_evaluation
from openday.demo.publicity import load_demo_publicity
from openday.demo.services import (
    load_demo,
    load_demo_campaigns,
    load_demo_events,
    load_demo_opinions,
    load_demo_surveys,
)
from openday.demo.summaries import load_demo_summaries
from openday.orgs.models import Org, Role

ROLE_LABELS = {**dict(Role.choices), "operator": "系统运维"}


class Command(BaseCommand):
    help = "加载根据两份实施方案构建的演示数据（可重复运行，只补缺不覆盖）。"

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
        load_demo_campaigns()
        load_demo_events()
        load_demo_surveys()
        load_demo_opinions()
        load_demo_publicity()
        load_demo_summaries()
        load_demo_evaluation()
        self.stdout.write(self.style.SUCCESS("演示数据已就绪。"))
        self._print(accounts)

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
