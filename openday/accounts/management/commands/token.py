from django.core.management.base import BaseCommand, CommandError

from openday.accounts.models import User
from openday.accounts.services import create_token
from openday.orgs.access import Access


class Command(BaseCommand):
    help = "为工作人员生成一个新的 API 令牌并打印（只显示这一次）。"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="命令行生成", help="令牌用途说明")

    def handle(self, username, name, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"找不到用户“{username}”。")
        if not user.is_active:
            raise CommandError(f"用户“{username}”已停用，不能生成令牌。")
        if not Access(user).is_staff_member:
            raise CommandError(f"用户“{username}”没有任何组织角色，不能生成令牌。")
        _token, raw = create_token(user, name=name)
        self.stdout.write(raw)
