from django.core.management.base import BaseCommand

from openday.accounts.tasks import housekeeping


class Command(BaseCommand):
    help = "清理过期会话和登录限制记录（默认放入后台任务队列，--now 立即执行）。"

    def add_arguments(self, parser):
        parser.add_argument("--now", action="store_true", help="在当前进程中立即执行")

    def handle(self, now, **options):
        if now:
            result = housekeeping.call()
            self.stdout.write(
                f"已清理：会话 {result['sessions']} 个，登录限制记录 {result['throttles']} 条，"
                f"后台任务结果 {result['task_results']} 条；发出申报提醒 {result['reminders']} 个、活动前一天提醒 {result['event_reminders']} 条；"
                f"匿名化过期活动的个人信息 {result['events_anonymized']} 个活动。"
            )
        else:
            result = housekeeping.enqueue()
            self.stdout.write(f"已加入后台任务队列：{result.id}")
