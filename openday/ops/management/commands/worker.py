from django.core.management.base import CommandError
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from openday.ops.worker import OpendayWorker


class Command(DbWorkerCommand):
    help = "后台任务进程：执行任务队列，发送消息队列中的短信和邮件，按时安排例行维护。数据库暂时不可用时等待重连，不退出。"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--no-deliver", action="store_false", dest="deliver", help="不在本进程发送消息"
        )
        parser.add_argument(
            "--no-clock", action="store_false", dest="clock", help="不在本进程安排例行维护"
        )

    def handle(self, **options):
        self.configure_logging(options["verbosity"])
        queue_name, batch = options["queue_name"], options["batch"]
        exclude_queues = options["exclude_queues"]
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = OpendayWorker(
            queue_names=queue_names,
            interval=options["interval"],
            batch=batch,
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=excluded,
            deliver=options["deliver"] and not batch,
            clock=options["clock"] and not batch,
        )
        worker.configure_signals()
        worker.run()
