from django.core.management.base import BaseCommand, CommandError
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
        parser.add_argument(
            "--scale",
            choices=["province"],
            help="生成全省规模的一年数据（湖南省 14 个市州、122 个县市区，约 5000 个单位、"
            "1 万场活动、100 万条报名、20 万条意见建议、30 万份答卷）；只能生成一次",
        )
        parser.add_argument(
            "--scale-factor",
            type=float,
            default=1.0,
            help="全省规模数据的缩放系数（0 到 1，默认 1；测试用 0.001）",
        )

    def handle(self, if_empty, reset_passwords, scale=None, scale_factor=1.0, **options):
        if scale:
            self._scale(scale_factor, reset_passwords)
            return
        if if_empty and Org.objects.exists() and not reset_passwords:
            self.stdout.write("数据库中已有数据，跳过演示数据加载。")
            self._print()
            return
        accounts = load_demo(reset_passwords=reset_passwords)
        if reset_passwords:
            from openday.demo import scale as province

            accounts = [*accounts, *province.reset_scale_passwords()]
        today = timezone.localdate()
        with transaction.atomic():
            load_living_year(today)
        self.stdout.write(self.style.SUCCESS("演示数据已就绪。"))
        self._today(today)
        self._print(accounts)

    def _scale(self, factor, reset_passwords):
        from openday.demo import scale as province

        if reset_passwords:
            accounts = province.reset_scale_passwords()
            if not accounts:
                raise CommandError(
                    "数据库中没有全省规模演示数据，请先运行 openday demo --scale province。"
                )
            self._print(accounts)
            return
        self.stdout.write(f"正在生成全省规模演示数据（规模系数 {factor:g}），各表用时：")
        try:
            loaded = province.load_province(factor, say=self.stdout.write)
        except province.AlreadyLoaded as exc:
            self.stdout.write(self.style.WARNING(str(exc)))
            self._print(province.scale_accounts())
            return
        except province.Refused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(province.describe(loaded)))
        self._print(loaded.accounts)

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
            from openday.demo.scale import scale_accounts

            accounts += scale_accounts()
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
