"""Which responsible area a citizen's message belongs to: a linear model over character n-grams.

The model is the average of two linear classifiers over the same character 1–2-gram TF-IDF
(title and body as separate blocks): a one-vs-rest linear SVM with balanced class weights,
and an NB-SVM (each class's SVM trained on features scaled by the naive-Bayes log-count
ratio of that class, Wang & Manning 2012). Both are linear in the same features, so their
average is kept as one weight matrix: prediction is one sparse product. A second matrix,
trained the same way on the bodies alone, scores texts that have no title (opinions have only
content; the title-and-body model does clearly worse on them). Scores are turned into
confidences with a softmax whose temperature was chosen by cross-validation on the
training file (see bench/triage.py).

Training adds the names of the board's category tree (`category-tree.csv`, shipped with the
code: 一级分类 → 二级分类 → 三级分类) as short labelled texts, one per third-level category (its
second-level name where the third is 其他), for the labels that are first-level names of the
tree: "物价监督" is 商贸旅游, "物业服务" and "公共汽车" are 城乡建设. Their rows are scaled by
`taxonomy_weight`. This is what the 5,196 messages cannot teach: where the board files a topic
none of them happens to mention. When any label is not a first-level name of the tree (an
office's own list), no rows are added. The nearest-neighbour vote below uses the messages only.

The features add a third block, the body's character skip-bigrams (c_i, c_{i+2}). Texts with a
title on which the linear model is unsure (its two best scores closer than `knn_gap`) also get
a class-balanced nearest-neighbour vote: cosine similarity to the training messages over the
rarer 1–2-gram columns (document frequency ≤ `knn_max_df`), the `knn_k` nearest, each
similarity raised to `knn_power`, each class's vote divided by its share of the training set,
the votes normalized to sum 1 and added to the linear scores with weight `knn_weight`.
"""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .text import NgramTfidf, is_term, split_message, words

FORMAT = "openday.triage.TextClassifier/1"
STARTER_MODEL = Path(__file__).with_name("starter.model")
CATEGORY_TREE = Path(__file__).with_name("category-tree.csv")

# Chosen by 5-fold grouped cross-validation on the 5,196 training messages (bench/triage.py).
DEFAULTS = {
    "ngram_range": (1, 2),
    "min_df": 2,
    "max_chars": 1000,
    "title_weight": 0.85,
    "C": 1.0,
    "nb_alpha": 1.0,
    "nb_share": 0.5,
    "temperature": 3.0,
    "skip_weight": 0.5,
    "knn_k": 10,
    "knn_power": 3.0,
    "knn_weight": 0.3,
    "knn_max_df": 300,
    # votes sum to 1, so a gap of knn_weight or more cannot change the prediction: the gate
    # loses nothing and leaves the vote to about 7% of texts (out of fold)
    "knn_gap": 0.3,
    # rows of the category tree's names (chosen by cross-validation with near-duplicate
    # messages kept in one fold, bench/triage.py); 0 leaves them out
    "taxonomy_weight": 0.5,
}
_BATCH = 2000


@dataclass(frozen=True)
class Suggestion:
    """One proposed label for a text: how sure, and which words of the text point to it."""

    label: str
    confidence: float
    terms: list[str] = field(default_factory=list)


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores * temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _linear_svc(C: float, balanced: bool) -> Any:
    from sklearn.svm import LinearSVC

    return LinearSVC(C=C, class_weight="balanced" if balanced else None, dual=True, max_iter=5000)


@lru_cache(maxsize=1)
def category_tree() -> tuple[tuple[str, str], ...]:
    """(text, first-level category) per third-level category of the shipped tree: the third
    level's name, or the second level's where the third is 其他; duplicates dropped."""
    seen: dict[tuple[str, str], None] = {}
    with CATEGORY_TREE.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            top, middle, leaf = (
                row["一级分类"].strip(),
                row["二级分类"].strip(),
                row["三级分类"].strip(),
            )
            name = middle if leaf in ("", "其他") else leaf
            if top and name:
                seen[(name, top)] = None
    return tuple(sorted(seen))


def taxonomy_examples(labels: Iterable[object]) -> tuple[list[str], list[str]]:
    """Texts (the name as title and body) and labels of the tree rows under `labels`; none
    unless every label is a first-level name of the tree (rows for only some of an office's
    own categories would pull its model towards those)."""
    wanted = {str(label) for label in labels}
    tree = category_tree()
    if not wanted <= {top for _name, top in tree}:
        return [], []
    rows = [(name, top) for name, top in tree if top in wanted]
    return [f"{name}\n{name}" for name, _top in rows], [top for _name, top in rows]


@dataclass(frozen=True)
class _Fitted:
    """The parts of a trained classifier, none of them missing (TextClassifier._fitted)."""

    vectorizer: NgramTfidf
    classes: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    body_coef: np.ndarray
    body_intercept: np.ndarray


class TextClassifier:
    """fit / predict / suggest over texts made by `message_text(title, body)`."""

    def __init__(self, **params: Any):
        unknown = set(params) - set(DEFAULTS)
        if unknown:
            raise TypeError(f"unknown parameters: {', '.join(sorted(unknown))}")
        self.params = {**DEFAULTS, **params}
        self.params["ngram_range"] = tuple(self.params["ngram_range"])
        self.vectorizer: NgramTfidf | None = None
        self.classes_: np.ndarray | None = None
        self.coef_: np.ndarray | None = None  # (classes, features) float32
        self.intercept_: np.ndarray | None = None
        # texts without a title (opinions) are scored by a model trained on bodies alone
        self.body_coef_: np.ndarray | None = None
        self.body_intercept_: np.ndarray | None = None
        # nearest-neighbour vote: training rows (float32 CSR over the kept columns only)
        self.knn_columns_: np.ndarray | None = None  # int32 vocabulary columns used
        self.knn_rows_: sp.csr_matrix | None = None
        self.knn_labels_: np.ndarray | None = None  # class index per training row
        self._knn_rows_t: sp.csr_matrix | None = None

    # -- training ---------------------------------------------------------------------------
    def _new_vectorizer(self) -> NgramTfidf:
        p = self.params
        return NgramTfidf(
            ngram_range=p["ngram_range"],
            min_df=p["min_df"],
            max_chars=p["max_chars"],
            title_weight=p["title_weight"],
            skip_weight=p["skip_weight"],
        )

    def fit(self, texts: list[str], labels: list[str]) -> TextClassifier:
        texts = [t or "" for t in texts]
        y = np.asarray([str(label) for label in labels])
        if len(texts) != len(y):
            raise ValueError("texts and labels differ in length")
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError("at least two different labels are needed")
        p = self.params
        vectorizer = self._new_vectorizer()
        min_df = p["min_df"] if len(texts) >= 50 else 1  # tiny sets keep every n-gram
        vectorizer.min_df = min_df
        n = len(texts)
        extra, extra_y = taxonomy_examples(classes) if p["taxonomy_weight"] else ([], [])
        all_texts, all_y = texts + extra, np.concatenate([y, np.asarray(extra_y, dtype=y.dtype)])
        weight = sp.diags(np.r_[np.ones(n), np.full(len(extra), p["taxonomy_weight"])])
        X = vectorizer.fit_transform(all_texts)
        self.coef_, self.intercept_ = self._fit_linear((weight @ X).tocsr(), all_y, classes)
        self._fit_knn(X[:n], vectorizer, np.searchsorted(classes, y))
        # the same texts without their titles, for texts that have none
        X = vectorizer.transform([split_message(t)[1] for t in all_texts])
        self.body_coef_, self.body_intercept_ = self._fit_linear(
            (weight @ X).tocsr(), all_y, classes
        )
        self.vectorizer = vectorizer
        self.classes_ = classes
        return self

    def _fit_knn(self, X: sp.csr_matrix, vectorizer: NgramTfidf, y: np.ndarray) -> None:
        """Keep the training rows over the rarer n-gram columns, L2-normalized, as float32."""
        self._knn_rows_t = None
        if not self.params["knn_weight"]:
            self.knn_columns_ = self.knn_rows_ = self.knn_labels_ = None
            return
        df = np.bincount(X.indices, minlength=X.shape[1])
        keep = vectorizer.ngram_columns() & (df <= self.params["knn_max_df"])
        self.knn_columns_ = np.flatnonzero(keep).astype(np.int32)
        self.knn_rows_ = self._knn_project(X)
        self.knn_labels_ = y.astype(np.int32)

    def _knn_project(self, X: sp.csr_matrix) -> sp.csr_matrix:
        """X over the kNN columns, rows L2-normalized (float32 CSR)."""
        R = X[:, self.knn_columns_].tocsr().astype(np.float32)
        norm = np.sqrt(np.asarray(R.multiply(R).sum(axis=1), dtype=np.float64).ravel())
        norm[norm == 0] = 1.0
        R.data /= np.repeat(norm, np.diff(R.indptr)).astype(np.float32)
        return R

    def _knn_votes(self, X: sp.csr_matrix, n_classes: int) -> np.ndarray:
        """Class-balanced vote of the nearest training rows, each row summing to 1."""
        knn_rows, knn_labels = self.knn_rows_, self.knn_labels_
        assert knn_rows is not None and knn_labels is not None  # only called when kept
        if self._knn_rows_t is None:
            self._knn_rows_t = knn_rows.T.tocsr()
        n_train = knn_rows.shape[0]
        k = min(int(self.params["knn_k"]), n_train)
        S = (self._knn_project(X) @ self._knn_rows_t).toarray()
        if k < n_train:
            idx = np.argpartition(-S, k - 1, axis=1)[:, :k]
        else:
            idx = np.broadcast_to(np.arange(n_train), (S.shape[0], n_train))
        sims = np.take_along_axis(S, idx, 1).clip(0) ** self.params["knn_power"]
        votes = np.zeros((S.shape[0], n_classes))
        np.add.at(
            votes,
            (np.repeat(np.arange(S.shape[0]), k), knn_labels[idx].ravel()),
            sims.ravel(),
        )
        share = np.bincount(knn_labels, minlength=n_classes) / n_train
        votes = votes / np.maximum(share, 1e-12)
        return votes / np.maximum(votes.sum(axis=1, keepdims=True), 1e-12)

    def _fit_linear(
        self, X: sp.csr_matrix, y: np.ndarray, classes: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """SVM and NB-SVM on X, each scaled to unit score spread, averaged into one."""
        p = self.params
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning on tiny or separable data
            svm = _linear_svc(p["C"], balanced=True).fit(X, y)
            w_svm, b_svm = self._one_vs_rest(svm, classes)
            w_nb, b_nb = self._nbsvm(X, y, classes)
        parts = []
        for w, b, share in ((w_svm, b_svm, 1 - p["nb_share"]), (w_nb, b_nb, p["nb_share"])):
            if share <= 0:
                continue
            scores = np.asarray(X @ w.T) + b
            scale = float((scores - scores.mean(axis=1, keepdims=True)).std()) or 1.0
            parts.append((w * (share / scale), b * (share / scale)))
        coef = sum(w for w, _ in parts).astype(np.float32)
        intercept = sum(b for _, b in parts).astype(np.float32)
        return coef, intercept

    @staticmethod
    def _one_vs_rest(model: Any, classes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w, b = np.asarray(model.coef_), np.asarray(model.intercept_)
        if len(classes) == 2:  # scikit-learn keeps one row for the second class
            w, b = np.vstack([-w[0], w[0]]), np.array([-b[0], b[0]])
        return w, b

    def _nbsvm(
        self, X: sp.csr_matrix, y: np.ndarray, classes: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        alpha, C = self.params["nb_alpha"], self.params["C"]
        present = X.copy()
        present.data[:] = 1.0
        total = np.asarray(present.sum(axis=0)).ravel()
        weights, biases = [], []
        for label in classes:
            mine = y == label
            pos = alpha + np.asarray(present[mine].sum(axis=0)).ravel()
            neg = alpha + total - (pos - alpha)
            ratio = np.log((pos / pos.sum()) / (neg / neg.sum()))
            model = _linear_svc(C, balanced=False).fit(X @ sp.diags(ratio), mine.astype(int))
            weights.append(ratio * model.coef_.ravel())
            biases.append(model.intercept_[0])
        return np.vstack(weights), np.asarray(biases)

    # -- using ------------------------------------------------------------------------------
    def _fitted(self) -> _Fitted:
        """The trained parts; RuntimeError when the classifier has not been trained."""
        if (
            self.vectorizer is None
            or self.classes_ is None
            or self.coef_ is None
            or self.intercept_ is None
            or self.body_coef_ is None
            or self.body_intercept_ is None
        ):
            raise RuntimeError("the classifier has not been trained")
        return _Fitted(
            self.vectorizer,
            self.classes_,
            self.coef_,
            self.intercept_,
            self.body_coef_,
            self.body_intercept_,
        )

    @property
    def labels(self) -> list[str]:
        return [str(c) for c in self._fitted().classes]

    def _scores(self, X: sp.csr_matrix, titled: np.ndarray) -> np.ndarray:
        fitted = self._fitted()
        scores = np.asarray(X @ fitted.coef.T) + fitted.intercept
        if not titled.all():
            rest = ~titled
            scores[rest] = np.asarray(X[rest] @ fitted.body_coef.T) + fitted.body_intercept
        if self.knn_rows_ is not None and self.params["knn_weight"] and scores.shape[1] > 1:
            top2 = np.partition(scores, -2, axis=1)[:, -2:]
            unsure = np.flatnonzero(titled & (top2[:, 1] - top2[:, 0] < self.params["knn_gap"]))
            if len(unsure):
                votes = self._knn_votes(X[unsure], len(fitted.classes))
                scores[unsure] += self.params["knn_weight"] * votes.astype(scores.dtype)
        return scores

    @staticmethod
    def _titled(texts: list[str]) -> np.ndarray:
        return np.fromiter((bool(split_message(t)[0]) for t in texts), bool, len(texts))

    def decision_function(self, texts: list[str]) -> np.ndarray:
        fitted = self._fitted()
        texts = [t or "" for t in texts]
        out = []
        for start in range(0, len(texts), _BATCH):
            batch = texts[start : start + _BATCH]
            out.append(self._scores(fitted.vectorizer.transform(batch), self._titled(batch)))
        if not out:
            return np.zeros((0, len(fitted.classes)), np.float32)
        return np.vstack(out)

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return _softmax(self.decision_function(texts), self.params["temperature"])

    def predict(self, texts: list[str]) -> list[str]:
        scores = self.decision_function(list(texts))
        classes = self._fitted().classes
        return [str(c) for c in classes[scores.argmax(axis=1)]] if len(scores) else []

    def suggest(self, text: str, top: int = 3) -> list[Suggestion]:
        """The `top` most likely labels, most likely first, each with the words behind it."""
        fitted = self._fitted()
        text = text or ""
        X = fitted.vectorizer.transform([text])
        titled = self._titled([text])
        scores = self._scores(X, titled).ravel()
        coef = fitted.coef if titled[0] else fitted.body_coef
        proba = _softmax(scores[None, :], self.params["temperature"]).ravel()
        order = np.argsort(-proba, kind="stable")[: max(0, top)]
        return [
            Suggestion(
                label=str(fitted.classes[k]),
                confidence=float(proba[k]),
                terms=self._terms(text, X, coef[k]),
            )
            for k in order
        ]

    def _terms(self, text: str, X: sp.csr_matrix, coef: np.ndarray, limit: int = 5) -> list[str]:
        """Words of the text whose n-grams push it most towards a class (positive only)."""
        row = X.getrow(0)
        if row.nnz == 0:
            return []
        weight: dict[str, float] = {}
        contribution = row.data * coef[row.indices]
        vectorizer = self._fitted().vectorizer
        for column, value in zip(row.indices, contribution, strict=True):
            gram = vectorizer.feature_text(column)
            weight[gram] = weight.get(gram, 0.0) + float(value)
        lo, hi = self.params["ngram_range"]
        title, body = split_message(text)
        body = body[: self.params["max_chars"]] if self.params["max_chars"] else body
        scored: dict[str, float] = {}
        for word in words(f"{title}\n{body}"):
            if not is_term(word) or word in scored:
                continue
            low = word.lower()
            grams = {low[i : i + n] for n in range(lo, hi + 1) for i in range(len(low) - n + 1)}
            scored[word] = sum(weight.get(g, 0.0) for g in grams)
        ranked = sorted(
            ((s, w) for w, s in scored.items() if s > 0), key=lambda sw: (-sw[0], sw[1])
        )
        return [w for _, w in ranked[:limit]]

    def score(self, texts: list[str], labels: list[str]) -> dict[str, Any]:
        """macro_f1 (over the labels in `labels`), accuracy, and f1 per label (the labels that
        are in `labels` or were predicted)."""
        from sklearn.metrics import accuracy_score, f1_score

        truth = [str(label) for label in labels]
        predicted = self.predict(list(texts))
        names = sorted(set(truth) | set(predicted))  # a label in neither has no F1
        per_label = f1_score(truth, predicted, labels=names, average=None, zero_division=0)
        present = sorted(set(truth))
        return {
            "macro_f1": float(
                f1_score(truth, predicted, labels=present, average="macro", zero_division=0)
            ),
            "accuracy": float(accuracy_score(truth, predicted)),
            "f1": {name: float(v) for name, v in zip(names, per_label, strict=True)},
        }

    # -- storing ----------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """A compressed numpy archive (no pickle: loading it cannot run code)."""
        fitted = self._fitted()
        v = fitted.vectorizer
        meta = {
            "format": FORMAT,
            "params": {**self.params, "ngram_range": list(self.params["ngram_range"])},
            "classes": self.labels,
            "vectorizer": {
                "ngram_range": list(v.ngram_range),
                "min_df": v.min_df,
                "max_chars": v.max_chars,
                "title_weight": v.title_weight,
                "sublinear_tf": v.sublinear_tf,
                "use_title": v.use_title,
                "title_start": v.title_start_,
                "skip_weight": v.skip_weight,
                "skip_start": v.skip_start_,
            },
        }
        knn: dict[str, Any] = {}  # numpy arrays, passed to savez_compressed by name
        R, columns, labels = self.knn_rows_, self.knn_columns_, self.knn_labels_
        if R is not None and columns is not None and labels is not None:  # kept together
            knn = {
                "knn_columns": columns,
                "knn_data": R.data.astype(np.float32),
                "knn_indices": R.indices.astype(np.int32),
                "knn_indptr": R.indptr.astype(np.int64),
                "knn_labels": labels,
            }
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), dtype=np.uint8),
            vocabulary=v.vocabulary_,
            idf=v.idf_,
            coef=fitted.coef,
            intercept=fitted.intercept,
            body_coef=fitted.body_coef,
            body_intercept=fitted.body_intercept,
            **knn,
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> TextClassifier:
        try:
            archive = np.load(io.BytesIO(data), allow_pickle=False)
            meta = json.loads(archive["meta"].tobytes().decode())
        except Exception as exc:
            raise ValueError("not a triage model file") from exc
        if meta.get("format") != FORMAT:
            raise ValueError(f"unsupported triage model format: {meta.get('format')!r}")
        params = meta["params"]
        if "knn_labels" not in archive.files:  # files written before the kNN vote
            params = {"skip_weight": 0.0, "knn_weight": 0.0, **params}
        model = cls(**params)
        vm = meta["vectorizer"]
        vectorizer = NgramTfidf(
            ngram_range=tuple(vm["ngram_range"]),
            min_df=vm["min_df"],
            max_chars=vm["max_chars"],
            title_weight=vm["title_weight"],
            sublinear_tf=vm["sublinear_tf"],
            use_title=vm["use_title"],
            skip_weight=vm.get("skip_weight", 0.0),
        )
        vectorizer.vocabulary_ = archive["vocabulary"]
        vectorizer.idf_ = archive["idf"]
        vectorizer.title_start_ = int(vm["title_start"])
        vectorizer.skip_start_ = int(vm.get("skip_start", vm["title_start"]))
        model.vectorizer = vectorizer
        model.classes_ = np.asarray(meta["classes"])
        model.coef_ = archive["coef"]
        model.intercept_ = archive["intercept"]
        model.body_coef_ = archive["body_coef"]
        model.body_intercept_ = archive["body_intercept"]
        if "knn_labels" in archive.files:
            model.knn_columns_ = archive["knn_columns"]
            model.knn_labels_ = archive["knn_labels"]
            model.knn_rows_ = sp.csr_matrix(
                (archive["knn_data"], archive["knn_indices"], archive["knn_indptr"]),
                shape=(len(model.knn_labels_), len(model.knn_columns_)),
            )
        return model

    def save(self, path: str | Path) -> None:
        Path(path).write_bytes(self.to_bytes())

    @classmethod
    def load(cls, path: str | Path) -> TextClassifier:
        return cls.from_bytes(Path(path).read_bytes())


@lru_cache(maxsize=1)
def starter_model() -> TextClassifier:
    """The model shipped with OpenDay (trained on the 5,196 labelled public messages)."""
    if not STARTER_MODEL.exists():
        raise FileNotFoundError(
            f"缺少意见分拣初始模型 {STARTER_MODEL}，请运行 openday triage-build-starter 生成。"
        )
    return TextClassifier.load(STARTER_MODEL)


# -- cross-validation -----------------------------------------------------------------------
_NOT_WORD = re.compile(r"[\W_]+")


def duplicate_groups(texts: list[str]) -> np.ndarray:
    """A group number per text; texts whose body starts the same (80 characters of letters and
    digits, ignoring punctuation and spaces) share a group, so that a message and its copy
    never sit on both sides of a split."""
    seen: dict[str, int] = {}
    groups = []
    for text in texts:
        title, body = split_message(text)
        key = _NOT_WORD.sub("", (body or title).lower())[:80]
        groups.append(seen.setdefault(key, len(seen)))
    return np.asarray(groups)


def cross_validate(
    texts: list[str], labels: list[str], folds: int = 5, seed: int = 0, **params: Any
) -> dict[str, Any]:
    """Stratified k-fold cross-validation with duplicates kept in one fold.

    Returns macro_f1, accuracy, f1 per label (over all out-of-fold predictions), the macro-F1
    of each fold, the temperature that best calibrates the out-of-fold scores (log loss), and
    how many texts had a duplicate.
    """
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedGroupKFold

    texts = list(texts)
    y = np.asarray([str(label) for label in labels])
    groups = duplicate_groups(texts)
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    predicted = np.empty(len(y), dtype=object)
    scores = np.zeros((len(y), len(np.unique(y))), dtype=np.float64)
    fold_f1 = []
    classes = np.unique(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "least populated class" on small sets
        splits = list(splitter.split(texts, y, groups))
    for train, test in splits:
        model = TextClassifier(**params).fit([texts[i] for i in train], y[train])
        s = model.decision_function([texts[i] for i in test])
        # classes absent from a training fold get no column: keep them at -inf
        full = np.full((len(test), len(classes)), -np.inf)
        full[:, np.searchsorted(classes, model._fitted().classes)] = s
        scores[test] = full
        predicted[test] = classes[full.argmax(axis=1)]
        fold_f1.append(float(f1_score(y[test], predicted[test], average="macro")))
    per_label = f1_score(y, predicted, labels=classes, average=None, zero_division=0)
    truth = np.searchsorted(classes, y)
    best_t, best_loss = None, np.inf
    finite = np.where(np.isfinite(scores), scores, -1e9)
    for t in (0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 8, 10):
        p = _softmax(finite, t)
        loss = float(-np.log(np.clip(p[np.arange(len(y)), truth], 1e-12, 1)).mean())
        if loss < best_loss:
            best_t, best_loss = t, loss
    return {
        "macro_f1": float(f1_score(y, predicted, average="macro")),
        "accuracy": float(accuracy_score(y, predicted)),
        "f1": {str(c): float(v) for c, v in zip(classes, per_label, strict=True)},
        "fold_macro_f1": fold_f1,
        "folds": folds,
        "seed": seed,
        "rows": len(y),
        "duplicate_rows": int(len(y) - len(np.unique(groups))),
        "best_temperature": best_t,
        "log_loss": best_loss,
    }
