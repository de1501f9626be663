"""Text handling for the triage models: message text, a fast character n-gram TF-IDF, words.

The vectorizer is written with numpy instead of scikit-learn's analyzer because the latter
builds one Python string per n-gram: about 1,300 messages a second for character 1–3 grams,
below the 2,000 a second the classifier must reach. Here every n-gram is an integer key
(16 bits per character) computed for a whole batch at once, and looked up in a sorted
vocabulary with one `searchsorted`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

# Title and body are joined by one line break; text without a line break is all body.
TITLE_SEPARATOR = "\n"

_WHITESPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")
_TITLE_BIT = np.int64(1) << np.int64(62)
_SKIP_BIT = np.int64(1) << np.int64(61)  # body skip-bigrams (c_i, c_{i+2})
_SHIFT = np.int64(16)


def message_text(title: str | None, body: str | None) -> str:
    """The one text the triage functions take for a message: its title, a line break, its body.

    Opinions have only content: `message_text("", content)` is the content on one line. Line
    breaks inside a body become spaces (the models ignore them anyway), so the only line break
    is the one after the title; text passed to the models directly is read the same way, its
    first line taken as the title when there are several.
    """
    title = _WHITESPACE.sub(" ", title or "").strip()
    body = _WHITESPACE.sub(" ", body or "").strip()  # one line: only the title ends with "\n"
    if title and body:
        return f"{title}{TITLE_SEPARATOR}{body}"
    return title or body


def split_message(text: str) -> tuple[str, str]:
    """(title, body) of a text made by `message_text`; text on one line is all body."""
    text = (text or "").strip()
    head, sep, rest = text.partition(TITLE_SEPARATOR)
    if not sep:
        return "", text
    return head, rest


def clean(text: str, digits: bool = True) -> str:
    """Lower case, one space for any run of white space, every number as 0."""
    text = _WHITESPACE.sub(" ", (text or "").replace("\x00", " ").lower()).strip()
    return _DIGITS.sub("0", text) if digits else text


def _code_points(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The texts' characters joined by NUL, as int64 code points (beyond the Basic Multilingual
    Plane clamped to 0xFFFF), and the number of separators before each position."""
    cp = np.frombuffer("\x00".join(texts).encode("utf-32-le"), dtype=np.uint32)
    cp = np.minimum(cp, 0xFFFF).astype(np.int64)
    return cp, np.concatenate(([0], np.cumsum(cp == 0)))


def ngram_keys(
    texts: list[str], ngram_range: Sequence[int] = (1, 3)
) -> tuple[np.ndarray, np.ndarray]:
    """(row, key) for every character n-gram of every text, n-grams never crossing texts.

    A key packs the n characters 16 bits each (characters beyond the Basic Multilingual
    Plane share one code), so keys of different lengths never collide and fit in 48 bits.
    """
    lo, hi = ngram_range
    if not 1 <= lo <= hi <= 3:
        raise ValueError("ngram_range must lie within 1..3")
    if not texts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    cp, seps_before = _code_points(texts)
    row = seps_before[:-1]
    rows, keys = [], []
    length = len(cp)
    for n in range(lo, hi + 1):
        m = length - n + 1
        if m <= 0:
            continue
        key = cp[:m].copy()
        for k in range(1, n):
            key = (key << _SHIFT) | cp[k : k + m]
        inside = (seps_before[n : n + m] - seps_before[:m]) == 0
        rows.append(row[:m][inside])
        keys.append(key[inside])
    if not keys:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(rows), np.concatenate(keys)


def skip_keys(texts: list[str], gap: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """(row, key) for every character pair (c_i, c_{i+gap}) of every text, never crossing texts.

    Keys carry `_SKIP_BIT`, so they never collide with n-gram keys."""
    if not texts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    cp, seps_before = _code_points(texts)
    m = len(cp) - gap
    if m <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    key = (cp[:m] << _SHIFT) | cp[gap : gap + m] | _SKIP_BIT
    inside = (seps_before[gap + 1 : gap + 1 + m] - seps_before[:m]) == 0
    return seps_before[:m][inside], key[inside]


def key_text(key: int) -> str:
    """The characters of an n-gram key (title keys included; a skip-bigram as "a_b")."""
    key = int(key) & ~int(_TITLE_BIT)
    if key & int(_SKIP_BIT):
        key &= ~int(_SKIP_BIT)
        return f"{chr(key >> 16)}_{chr(key & 0xFFFF)}"
    chars = []
    while key:
        chars.append(chr(key & 0xFFFF))
        key >>= 16
    return "".join(reversed(chars))


class NgramTfidf:
    """Character n-gram TF-IDF of a message, with the title as a block of its own.

    Each block (title, body) is L2-normalized on its own; the title block is then scaled by
    `title_weight`. With `skip_weight` > 0 a third block, the body's character skip-bigrams
    (c_i, c_{i+2}), is added, L2-normalized on its own and scaled by `skip_weight`. Bodies are
    cut at `max_chars` characters (long letters repeat themselves and carry addresses, phone
    numbers and legal citations that only add noise).
    """

    def __init__(
        self,
        ngram_range: Sequence[int] = (1, 3),
        min_df: int = 2,
        max_chars: int | None = 1000,
        title_weight: float = 1.0,
        sublinear_tf: bool = False,
        use_title: bool = True,
        skip_weight: float = 0.0,
    ):
        self.ngram_range = tuple(ngram_range)
        self.min_df = min_df
        self.max_chars = max_chars
        self.title_weight = title_weight
        self.sublinear_tf = sublinear_tf
        self.use_title = use_title
        self.skip_weight = skip_weight

    # -- keys -------------------------------------------------------------------------------
    def _fields(self, texts: list[str]) -> tuple[list[str], list[str]]:
        titles, bodies = [], []
        for text in texts:
            title, body = split_message(text)
            if not self.use_title:
                title, body = "", f"{title} {body}".strip()
            titles.append(clean(title))
            body = clean(body)
            bodies.append(body[: self.max_chars] if self.max_chars else body)
        return titles, bodies

    def _keys(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        titles, bodies = self._fields(texts)
        rows, keys = ngram_keys(bodies, self.ngram_range)
        if self.skip_weight:
            srows, skeys = skip_keys(bodies)
            rows = np.concatenate((rows, srows))
            keys = np.concatenate((keys, skeys))
        if self.use_title:
            trows, tkeys = ngram_keys(titles, self.ngram_range)
            rows = np.concatenate((rows, trows))
            keys = np.concatenate((keys, tkeys | _TITLE_BIT))
        return rows, keys

    # -- fitting ----------------------------------------------------------------------------
    def fit(self, texts: list[str]) -> NgramTfidf:
        n = len(texts)
        rows, keys = self._keys(texts)
        # document frequency: count each (row, key) once
        order = np.lexsort((rows, keys))
        rows, keys = rows[order], keys[order]
        first = np.ones(len(keys), bool)
        first[1:] = (keys[1:] != keys[:-1]) | (rows[1:] != rows[:-1])
        vocab, df = np.unique(keys[first], return_counts=True)
        keep = df >= self.min_df
        self.vocabulary_ = vocab[keep]
        self.idf_ = (np.log((1 + n) / (1 + df[keep])) + 1).astype(np.float32)
        self.title_start_ = int(np.searchsorted(self.vocabulary_, _TITLE_BIT))
        self.skip_start_ = int(np.searchsorted(self.vocabulary_, _SKIP_BIT))
        return self

    def ngram_columns(self) -> np.ndarray:
        """True for the columns of character n-grams (title or body), False for skip-bigrams."""
        columns = np.arange(self.n_features)
        return (columns < self.skip_start_) | (columns >= self.title_start_)

    @property
    def n_features(self) -> int:
        return len(self.vocabulary_)

    # -- transforming -----------------------------------------------------------------------
    def counts(self, texts: list[str]) -> sp.csr_matrix:
        """Raw n-gram counts (float32 CSR, columns = vocabulary)."""
        n = len(texts)
        rows, keys = self._keys(texts)
        vocab = self.vocabulary_
        v = len(vocab)
        if v == 0 or len(keys) == 0:
            return sp.csr_matrix((n, v), dtype=np.float32)
        col = np.searchsorted(vocab, keys)
        col[col >= v] = 0
        hit = vocab[col] == keys
        cell = rows[hit] * np.int64(v) + col[hit]
        cell, count = np.unique(cell, return_counts=True)
        r = cell // v
        indptr = np.searchsorted(r, np.arange(n + 1))
        return sp.csr_matrix(
            (count.astype(np.float32), (cell % v).astype(np.int32), indptr), shape=(n, v)
        )

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        X = self.counts(texts)
        if X.nnz == 0:
            return X
        data = X.data
        if self.sublinear_tf:
            data = np.log1p(data)
        data = data * self.idf_[X.indices]
        row = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        # blocks: 0 body n-grams, 1 body skip-bigrams, 2 title n-grams
        block = (X.indices >= self.skip_start_).astype(np.int64) + (X.indices >= self.title_start_)
        slot = row * 3 + block
        norm = np.sqrt(
            np.bincount(slot, weights=data.astype(np.float64) ** 2, minlength=3 * X.shape[0])
        )
        norm[norm == 0] = 1.0
        data = data / norm[slot]
        weight = np.array([1.0, self.skip_weight, self.title_weight], np.float32)
        if weight[1] != 1.0 or weight[2] != 1.0:
            data = data * weight[block]
        X.data = data.astype(np.float32)
        return X

    def fit_transform(self, texts: list[str]) -> sp.csr_matrix:
        return self.fit(texts).transform(texts)

    def feature_text(self, column: int) -> str:
        return key_text(self.vocabulary_[column])


# -- words (jieba) ---------------------------------------------------------------------------
_jieba_lock = threading.Lock()
_jieba = None


def _tokenizer() -> Any:
    """jieba's default tokenizer, initialized once per process from the installed dictionary."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import logging

                import jieba

                jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict" chatter
                jieba.default_logger.setLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()  # the dictionary shipped inside the package
                tokenizer.initialize()
                _jieba = tokenizer
    return _jieba


# Words every complaint uses: never a topic's label, and no reason to group two texts.
STOP_TERMS = frozenset(
    """
    尊敬 领导 您好 你好 请问 希望 要求 建议 反映 反应 问题 情况 相关 有关 部门 政府 市民 居民 群众
    我们 你们 他们 自己 这个 那个 这些 那些 什么 为什么 怎么 如何 是否 能否 可以 没有 已经 现在
    目前 一直 还是 但是 因为 所以 如果 而且 并且 以及 或者 进行 解决 处理 严重 影响 非常 多次
    一个 一些 很多 今年 去年 每天 时候 时间 地方 工作 关于 及时 尽快 谢谢 感谢 回复 答复 投诉
    举报 咨询 本人 大家 还有 以上 以下 导致 造成 存在 出现 发现 知道 认为 需要 应该 不能 不是
    """.split()
)

_WORDISH = re.compile(r"^[\u4e00-\u9fff]+$")


def words(text: str, search: bool = False) -> list[str]:
    """Chinese words of a text (jieba, HMM for unknown words).

    With `search`, long words are followed by the shorter words inside them
    (学校食堂 → 学校, 食堂, 学校食堂), so that texts segmented differently still share words.
    """
    if search:
        return _tokenizer().lcut_for_search(text or "")
    return _tokenizer().lcut(text or "")


def is_term(word: str) -> bool:
    """A word worth showing: two or more Chinese characters only, not a stop word."""
    return len(word) >= 2 and word not in STOP_TERMS and bool(_WORDISH.match(word))
