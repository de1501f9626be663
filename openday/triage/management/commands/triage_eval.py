"""openday triage-eval --train TRAIN.csv --test TEST.csv: train, predict, print one JSON object."""

import json
import os
import sys
import time

from django.core.management.base import BaseCommand

from openday.triage.classifier import TextClassifier
from openday.triage.dataset import DataError, read_labelled_csv


def one_core():
    """Limit BLAS/OpenMP pools to one thread (the figures are per core)."""
    from threadpoolctl import threadpool_limits

    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"
    return threadpool_limits(limits=1)


def predictions_per_second(
    model: TextClassifier, texts: list[str], seconds: float = 1.0, at_most: int = 20000
) -> float:
    """Batch prediction rate: the batch again and again for `seconds` (or `at_most` texts)."""
    done, start = 0, time.perf_counter()
    while True:
        model.predict(texts)
        done += len(texts)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds or done >= at_most:
            return done / elapsed


class Command(BaseCommand):
    help = "用训练集训练意见分拣模型，在测试集上评估，输出一个 JSON 对象（两个 CSV 都需要 id,title,body,label 四列）。"

    def add_arguments(self, parser):
        parser.add_argument("--train", required=True, help="训练集 CSV")
        parser.add_argument("--test", required=True, help="测试集 CSV")

    def handle(self, train, test, **options):
        try:
            train_set = read_labelled_csv(train, "训练集")
            test_set = read_labelled_csv(test, "测试集")
            if len(set(train_set.labels)) < 2:
                raise DataError(f"训练集文件 {train} 至少需要两个不同的类别")
        except DataError as exc:
            self.stderr.write(f"意见分拣评估失败：{exc}")
            sys.exit(2)
        with one_core():
            start = time.perf_counter()
            model = TextClassifier().fit(train_set.texts, train_set.labels)
            train_seconds = time.perf_counter() - start
            result = model.score(test_set.texts, test_set.labels)
            rate = predictions_per_second(model, test_set.texts)
        result.update(
            train_seconds=round(train_seconds, 3),
            predict_per_second=round(rate, 1),
            train_rows=len(train_set),
            test_rows=len(test_set),
        )
        self.stdout.write(json.dumps(result, ensure_ascii=False))
