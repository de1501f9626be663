"""意见分拣 figures: cross-validated quality, training time, prediction rate, model size.

Everything on one core (BLAS/OpenMP pools limited to one thread). Only the training file is
used; the encrypted hold-out set is checked by others.

Two cross-validations: the usual one keeps copies of a message in one fold; the "topics unseen"
one also keeps near-duplicates (the same complaint in other words) in one fold. The issue's
baseline scores about 0.90 on the hold-out set, 0.907 in the first and 0.903 in the second.

    .venv/bin/python bench/triage.py [TRAIN.csv]    # default ../shared/data/citizen-messages-train.csv

Prints a table per part and, last, one JSON line with every figure.
"""

import datetime as dt
import json
import os
import pickle
import platform
import subprocess
import sys
import time
import warnings
import zlib
from importlib.metadata import version
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openday.triage import (
    TextClassifier,
    cross_validate,
    duplicate_groups,
    hot_topics,
    near_duplicates,
    split_message,
)
from openday.triage.classifier import STARTER_MODEL
from openday.triage.dataset import read_labelled_csv

REPO = Path(__file__).resolve().parent.parent
DEFAULT_TRAIN = REPO.parent / "shared" / "data" / "citizen-messages-train.csv"
FOLDS = 5
SEEDS = (0, 1)
STRICT_THRESHOLD = 0.25


def splits(texts, labels, seed, groups=None):
    from sklearn.model_selection import StratifiedGroupKFold

    groups = duplicate_groups(texts) if groups is None else groups
    splitter = StratifiedGroupKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    return list(splitter.split(texts, labels, groups))


def topic_groups(texts, threshold=STRICT_THRESHOLD):
    """Near-duplicates (`near_duplicates` similarity >= threshold, i.e. the same complaint in
    other words, often about the same place) joined into one group with their copies, so that
    a test fold holds only complaints the training part has not seen in any wording."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    n = len(texts)
    copies = duplicate_groups(texts)
    pairs = near_duplicates(texts, threshold=threshold)
    rows = [a for a, _b, _s in pairs] + list(range(n))
    cols = [b for _a, b, _s in pairs] + [n + int(g) for g in copies]
    graph = sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(2 * n, 2 * n))
    return connected_components(graph, directed=False)[1][:n]


def rate(predict, texts, seconds=1.0):
    done, start = 0, time.perf_counter()
    while True:
        predict(texts)
        done += len(texts)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def one_at_a_time(predict, texts):
    start = time.perf_counter()
    for text in texts:
        predict([text])
    return len(texts) / (time.perf_counter() - start)


class Baseline:
    """The issue's reference: scikit-learn char n-gram TF-IDF (1–3) + LinearSVC, defaults."""

    def fit(self, texts, labels):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import make_pipeline
        from sklearn.svm import LinearSVC

        self.pipeline = make_pipeline(
            TfidfVectorizer(analyzer="char", ngram_range=(1, 3)), LinearSVC()
        )
        self.pipeline.fit(texts, labels)
        return self

    def predict(self, texts):
        return list(self.pipeline.predict(texts))

    def to_bytes(self):
        return zlib.compress(pickle.dumps(self.pipeline), 6)


def cv_scores(make, texts, labels, seed, body_only=False, groups=None):
    """Out-of-fold macro-F1 and accuracy; with body_only the test texts lose their titles."""
    from sklearn.metrics import accuracy_score, f1_score

    y = np.asarray(labels)
    predicted = np.empty(len(y), dtype=object)
    for train, test in splits(texts, y, seed, groups):
        model = make().fit([texts[i] for i in train], y[train])
        shown = [split_message(texts[i])[1] if body_only else texts[i] for i in test]
        predicted[test] = model.predict(shown)
    return {
        "macro_f1": float(f1_score(y, predicted, average="macro")),
        "accuracy": float(accuracy_score(y, predicted)),
    }


def speed(make, texts, labels):
    start = time.perf_counter()
    model = make().fit(texts, labels)
    train_seconds = time.perf_counter() - start
    return model, {
        "train_seconds": round(train_seconds, 2),
        "predict_per_second_batch": round(rate(model.predict, texts)),
        "predict_per_second_one_at_a_time": round(one_at_a_time(model.predict, texts[:2000])),
        "model_bytes": len(model.to_bytes()),
    }


def start_up():
    """Cold-start costs in a fresh interpreter: import, loading the starter model, jieba."""
    code = """
import json, time
t0 = time.perf_counter()
import openday.triage as triage
t1 = time.perf_counter()
model = triage.starter_model()
t2 = time.perf_counter()
model.suggest("小区门口路灯坏了，晚上很黑")
t3 = time.perf_counter()
model.suggest("学校食堂饭菜太贵还难吃")
t4 = time.perf_counter()
print(json.dumps({"import_seconds": t1 - t0, "load_starter_seconds": t2 - t1,
                  "first_suggest_seconds": t3 - t2, "next_suggest_seconds": t4 - t3}))
"""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    return {k: round(v, 3) for k, v in json.loads(out.stdout).items()}


def main():
    train_csv = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_TRAIN
    data = read_labelled_csv(train_csv, "训练")
    texts, labels = data.texts, data.labels
    print(f"意见分拣 bench: {len(texts)} messages from {train_csv.name}")
    print(
        f"{dt.date.today()}, {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, scikit-learn {version('scikit-learn')}, numpy "
        f"{version('numpy')}, scipy {version('scipy')}, jieba {version('jieba')}; one thread"
    )
    unseen = topic_groups(texts)
    report = {
        "date": str(dt.date.today()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "versions": {p: version(p) for p in ("scikit-learn", "numpy", "scipy", "jieba")},
        "rows": len(texts),
        "duplicate_rows_grouped": int(len(texts) - len(set(duplicate_groups(texts)))),
        "topic_groups": len(set(unseen)),
    }
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        ours = [cross_validate(texts, labels, folds=FOLDS, seed=s) for s in SEEDS]
        cv_seconds = time.perf_counter() - t
        base = [cv_scores(Baseline, texts, labels, s) for s in SEEDS]
        body_only = cv_scores(TextClassifier, texts, labels, SEEDS[0], body_only=True)
        strict = [cv_scores(TextClassifier, texts, labels, s, groups=unseen) for s in SEEDS]
        base_strict = [cv_scores(Baseline, texts, labels, s, groups=unseen) for s in SEEDS]
        base_body_only = cv_scores(Baseline, texts, labels, SEEDS[0], body_only=True)
        model, ours_speed = speed(TextClassifier, texts, labels)
        _, base_speed = speed(Baseline, texts, labels)
        t = time.perf_counter()
        pairs = near_duplicates(texts)
        duplicate_seconds = time.perf_counter() - t
        t = time.perf_counter()
        topics = hot_topics(texts[:500])
        topics_seconds = time.perf_counter() - t
        suggest_rate = one_at_a_time(lambda b: model.suggest(b[0]), texts[:300])

    def mean(runs, key):
        return round(float(np.mean([r[key] for r in runs])), 4)

    report["ours"] = {
        "cv_macro_f1": mean(ours, "macro_f1"),
        "cv_accuracy": mean(ours, "accuracy"),
        "cv_macro_f1_per_seed": [round(r["macro_f1"], 4) for r in ours],
        "cv_f1_per_label": {k: round(v, 4) for k, v in ours[0]["f1"].items()},
        "cv_body_only_macro_f1": round(body_only["macro_f1"], 4),
        "strict_cv_macro_f1": mean(strict, "macro_f1"),
        "strict_cv_macro_f1_per_seed": [round(r["macro_f1"], 4) for r in strict],
        "best_temperature": ours[0]["best_temperature"],
        "cv_seconds": round(cv_seconds, 1),
        **ours_speed,
        "suggest_per_second": round(suggest_rate),
        "starter_model_bytes": STARTER_MODEL.stat().st_size if STARTER_MODEL.exists() else None,
    }
    report["baseline"] = {
        "cv_macro_f1": mean(base, "macro_f1"),
        "cv_accuracy": mean(base, "accuracy"),
        "cv_macro_f1_per_seed": [round(r["macro_f1"], 4) for r in base],
        "cv_body_only_macro_f1": round(base_body_only["macro_f1"], 4),
        "strict_cv_macro_f1": mean(base_strict, "macro_f1"),
        "strict_cv_macro_f1_per_seed": [round(r["macro_f1"], 4) for r in base_strict],
        **base_speed,
    }
    report["near_duplicates"] = {
        "texts": len(texts),
        "seconds": round(duplicate_seconds, 2),
        "pairs": len(pairs),
    }
    report["hot_topics"] = {
        "texts": 500,
        "seconds": round(topics_seconds, 2),
        "topics": [(t.label, t.count) for t in topics],
    }
    report["start_up"] = start_up()

    o, b = report["ours"], report["baseline"]
    print(f"\n{'':34}{'ours':>14}{'baseline':>14}")
    rows = [
        ("5-fold CV macro-F1 (2 seeds)", o["cv_macro_f1"], b["cv_macro_f1"]),
        ("5-fold CV accuracy", o["cv_accuracy"], b["cv_accuracy"]),
        ("CV macro-F1, topics unseen", o["strict_cv_macro_f1"], b["strict_cv_macro_f1"]),
        ("CV macro-F1, test body only", o["cv_body_only_macro_f1"], b["cv_body_only_macro_f1"]),
        ("train on all rows, s", o["train_seconds"], b["train_seconds"]),
        ("predictions/s, batch", o["predict_per_second_batch"], b["predict_per_second_batch"]),
        (
            "predictions/s, one at a time",
            o["predict_per_second_one_at_a_time"],
            b["predict_per_second_one_at_a_time"],
        ),
        ("model bytes", o["model_bytes"], b["model_bytes"]),
    ]
    for name, a, c in rows:
        print(f"{name:34}{a:>14}{c:>14}")
    print(f"\nper label (ours, seed 0): {o['cv_f1_per_label']}")
    print(f"suggest() {o['suggest_per_second']}/s; start-up {report['start_up']}")
    print(
        f"near_duplicates on {len(texts)} texts: {report['near_duplicates']['seconds']} s, "
        f"{len(pairs)} pairs; hot_topics on 500: {report['hot_topics']['seconds']} s"
    )
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
