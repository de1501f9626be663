"""The same complaint in other words, and what many people are writing about.

`near_duplicates` and `similar` compare character 1–2-gram TF-IDF vectors (punctuation and
spaces removed, numbers as 0, weights fitted on the texts compared): two characters in a row
are enough to match 路灯 with 路灯 whatever the words around them, and nothing needs a
dictionary. `hot_topics` groups texts by their words (jieba) with average-link
agglomerative clustering on cosine distance, so unrelated messages stay on their own
instead of being forced into a topic, and the words double as the topic's label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .text import clean, is_term, ngram_keys, words

# Similarity of 0.25 or more: probably the same matter (checked on rephrased complaints in the tests and on
# the training file, where it finds the copies and the reworded re-submissions).
DUPLICATE_THRESHOLD = 0.25
_NOT_WORD = re.compile(r"[\W_]+")
_UNIGRAM_WEIGHT = 1.0


def _vectors(texts: list[str], max_chars: int = 2000) -> sp.csr_matrix:
    """Rows of unit length: sublinear TF-IDF of character 1- and 2-grams (1-grams half weight)."""
    docs = [_NOT_WORD.sub("", clean(t))[:max_chars] for t in texts]
    n = len(docs)
    rows, keys = ngram_keys(docs, (1, 2))
    if len(keys) == 0:
        return sp.csr_matrix((n, 0), dtype=np.float64)
    vocab, col = np.unique(keys, return_inverse=True)
    X = sp.csr_matrix((np.ones(len(col)), (rows, col)), shape=(n, len(vocab)))
    X.sum_duplicates()
    df = np.diff(X.tocsc().indptr)
    idf = np.log((1 + n) / (1 + df)) + 1
    idf[vocab < (1 << 16)] *= _UNIGRAM_WEIGHT  # single characters say little on their own
    X.data = np.log1p(X.data) * idf[X.indices]
    norm = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    norm[norm == 0] = 1
    return sp.csr_matrix(sp.diags(1 / norm) @ X)


def near_duplicates(
    texts: list[str], threshold: float = DUPLICATE_THRESHOLD
) -> list[tuple[int, int, float]]:
    """(i, j, similarity) for every pair i < j at or above `threshold`, most similar first."""
    texts = list(texts)
    if len(texts) < 2:
        return []
    X = _vectors(texts)
    pairs: list[tuple[int, int, float]] = []
    chunk = 500
    XT = X.T.tocsr()
    for start in range(0, X.shape[0], chunk):
        block = (X[start : start + chunk] @ XT).tocoo()
        i = block.row + start
        keep = (block.col > i) & (block.data >= threshold)
        for a, b, s in zip(i[keep], block.col[keep], block.data[keep], strict=True):
            pairs.append((int(a), int(b), round(float(min(s, 1.0)), 4)))
    pairs.sort(key=lambda p: (-p[2], p[0], p[1]))
    return pairs


def similar(text: str, candidates: list[str], top: int = 5) -> list[tuple[int, float]]:
    """The `top` candidates most like `text`: (index into candidates, similarity), best first."""
    candidates = list(candidates)
    if not candidates or top <= 0:
        return []
    X = _vectors([text, *candidates])
    scores = np.asarray((X[1:] @ X[0].T).todense()).ravel()
    order = np.argsort(-scores, kind="stable")[:top]
    return [(int(k), round(float(min(scores[k], 1.0)), 4)) for k in order if scores[k] > 0]


# -- hot topics ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Topic:
    """A group of texts about one matter: a short label, the member indexes, the most typical."""

    label: str
    count: int
    members: list[int] = field(default_factory=list)
    representatives: list[int] = field(default_factory=list)


def _topic_terms(text: str, max_chars: int = 1000) -> list[str]:
    return [w for w in words(clean(text, digits=False)[:max_chars], search=True) if is_term(w)]


def hot_topics(
    texts: list[str], max_topics: int = 8, distance_threshold: float = 0.85
) -> list[Topic]:
    """Groups of at least two texts on the same matter, largest first (deterministic).

    Texts are word TF-IDF vectors; average-link clustering merges groups while their mean
    cosine distance stays below `distance_threshold`. Texts left alone are not topics.
    """
    from sklearn.cluster import AgglomerativeClustering

    texts = list(texts)
    n = len(texts)
    if n < 2 or max_topics <= 0:
        return []
    docs = [_topic_terms(t) for t in texts]
    vocab = {w: k for k, w in enumerate(sorted({w for d in docs for w in d}))}
    if not vocab:
        return []
    rows, cols = [], []
    for r, d in enumerate(docs):
        for w in d:
            rows.append(r)
            cols.append(vocab[w])
    X = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, len(vocab)))
    X.sum_duplicates()
    df = np.diff(X.tocsc().indptr)
    idf = np.log((1 + n) / (1 + df)) + 1
    X.data = np.log1p(X.data) * idf[X.indices]
    norm = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    norm[norm == 0] = 1
    X = sp.csr_matrix(sp.diags(1 / norm) @ X)
    similarity = np.asarray((X @ X.T).todense())
    distance = np.clip(1 - similarity, 0, 2)
    np.fill_diagonal(distance, 0)
    empty = np.asarray(X.sum(axis=1)).ravel() == 0
    distance[empty, :] = distance[:, empty] = 1  # texts without words join nothing
    np.fill_diagonal(distance, 0)
    clustering = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=distance_threshold,
    ).fit(distance)
    groups: dict[int, list[int]] = {}
    for index, cluster in enumerate(clustering.labels_):
        groups.setdefault(int(cluster), []).append(index)
    clusters = sorted(
        (m for m in groups.values() if len(m) >= 2 and not empty[m].all()),
        key=lambda m: (-len(m), m[0]),
    )[:max_topics]
    overall = np.asarray(X.mean(axis=0)).ravel()
    names = np.array(sorted(vocab, key=vocab.__getitem__))
    topics = []
    for members in clusters:
        centroid = np.asarray(X[members].mean(axis=0)).ravel()
        topics.append(
            Topic(
                label=_label(centroid, overall, X[members], names),
                count=len(members),
                members=members,
                representatives=_central(similarity, members),
            )
        )
    return topics


def _label(
    centroid: np.ndarray,
    overall: np.ndarray,
    member_rows: sp.csr_matrix,
    names: np.ndarray,
    size: int = 3,
) -> str:
    """Top terms: heavy in the group, common among its members, lighter elsewhere.

    Search-mode segmentation also yields pieces of long words (公积金 → 公积, 积金): a piece is
    replaced by the whole word when nearly as many members have the whole word.
    """
    share = np.asarray((member_rows > 0).mean(axis=0)).ravel()
    score = (centroid - 0.5 * overall) * (0.5 + share)
    order = [k for k in np.lexsort((names, -score))[:50] if score[k] > 0]
    chosen: list[str] = []
    for k in order:
        if len(chosen) == size:
            break
        term = str(names[k])
        wider = [
            j for j in order if term in str(names[j]) and j != k and share[j] >= 0.8 * share[k]
        ]
        if wider:
            term = str(names[max(wider, key=lambda j: (len(names[j]), share[j]))])
        if any(term in c or c in term for c in chosen):
            continue  # 路灯 and 小区路灯 say the same
        chosen.append(term)
    return "、".join(chosen)


def _central(similarity: np.ndarray, members: list[int], size: int = 3) -> list[int]:
    inner = similarity[np.ix_(members, members)].mean(axis=1)
    order = sorted(range(len(members)), key=lambda k: (-inner[k], members[k]))
    return [members[k] for k in order[:size]]
