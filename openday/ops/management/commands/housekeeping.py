import json

from django.core.management.base import BaseCommand, CommandError

from openday.ops.housekeeping import describe_counts, run_housekeeping
from openday.ops.models import HousekeepingRun


class Command(BaseCommand):
    help = "运行一次例行维护（清理、提醒、到期个人信息匿名化、补发消息）。默认放入后台任务队列，--now 立即执行。"

    def add_arguments(self, parser):
        parser.add_argument("--now", action="store_true", help="在当前进程中立即执行，逐项打印结果")
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help="与 --now 一起用：以 JSON 打印本次运行记录",
        )

    def handle(self, now, as_json, **options):
        if not now:
            from openday.ops.tasks import housekeeping

            result = housekeeping.enqueue(trigger="command")
            self.stdout.write(f"已加入后台任务队列：{result.id}（由 openday worker 执行）")
            return
        run = run_housekeeping(trigger=HousekeepingRun.Trigger.COMMAND)
        if run is None:
            raise CommandError("另一次例行维护正在运行，本次没有执行。")
        if as_json:
            self.stdout.write(_dumps(run))
        else:
            for step in run.steps:
                mark = "成功" if step["ok"] else "失败"
                detail = describe_counts(step["counts"]) if step["ok"] else step["error"]
                self.stdout.write(f"[{mark}] {step['label']}（{step['name']}）：{detail}")
        if not run.ok:
            raise CommandError(f"以下步骤失败：{', '.join(run.failed_steps)}（其余步骤已照常执行）")
        self.stdout.write(f"例行维护完成，共 {len(run.steps)} 项，运行记录 #{run.pk}。")


def _dumps(run):
    body = {"run": run.pk, "ok": run.ok, "steps": run.steps}
    return json.dumps(body, ensure_ascii=False, indent=2, default=str)
