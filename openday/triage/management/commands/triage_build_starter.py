"""openday triage-build-starter [CSV]: train the shipped starter model on the labelled messages."""

import json
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from openday.triage.classifier import STARTER_MODEL, TextClassifier
from openday.triage.dataset import DataError, read_labelled_csv
from openday.triage.management.commands.triage_eval import one_core

DEFAULT_CSV = "../shared/data/citizen-messages-train.csv"


class Command(BaseCommand):
    help = "用带类别的群众留言（CSV：id,title,body,label）训练意见分拣初始模型，写入 openday/triage/starter.model。"

    def add_arguments(self, parser):
        parser.add_argument(
            "csv",
            nargs="?",
            default=DEFAULT_CSV,
            help=f"训练数据（默认相对项目根目录的 {DEFAULT_CSV}）",
        )
        parser.add_argument("--output", default=str(STARTER_MODEL), help="模型文件路径")

    def handle(self, csv, output, **options):
        # the default is relative to the project root, a path given here to the working directory
        path = Path(settings.BASE_DIR) / csv if csv == DEFAULT_CSV else Path(csv)
        try:
            data = read_labelled_csv(path, "训练数据")
            if len(set(data.labels)) < 2:
                raise DataError(f"训练数据文件 {path} 至少需要两个不同的类别")
        except DataError as exc:
            self.stderr.write(f"生成意见分拣模型失败：{exc}")
            sys.exit(2)
        with one_core():
            start = time.perf_counter()
            model = TextClassifier().fit(data.texts, data.labels)
            seconds = time.perf_counter() - start
        blob = model.to_bytes()
        Path(output).write_bytes(blob)
        self.stdout.write(
            json.dumps(
                {
                    "output": str(output),
                    "rows": len(data),
                    "labels": model.labels,
                    "features": model.vectorizer.n_features,
                    "train_seconds": round(seconds, 3),
                    "bytes": len(blob),
                },
                ensure_ascii=False,
            )
        )
