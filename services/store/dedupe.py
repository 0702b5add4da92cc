"""Near-duplicate and same-story detection: MinHash signatures and an LSH band index.

A signature holds two MinHashes of a text: one over 5-word shingles (copies and light edits
share most of them) and one over pairs of adjacent content words, stopwords dropped (rewrites
of one story share its names and phrases, "military administration", "andriy besedin", not
its sentences; on the seeds same-story pairs score 0.11-0.24 and other stories of the same war
0.00-0.015, where single content words score 0.25-0.41 against 0.03-0.07). Both serialise
to bytes for the database, and their LSH band keys can be stored in an indexed table, so a
check costs a few key look-ups at any size.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from shared import minhash
from shared.minhash import BANDING, NUM_PERM, STORY_PERM

DUPLICATE_THRESHOLD = 0.7  # estimated Jaccard of 5-word shingles: a copy or a light edit
STORY_THRESHOLD = 0.08  # estimated Jaccard of content-word pairs: the same story, rewritten
# (bands, rows) in shared/minhash.py: P(candidate) = 1 - (1 - J**rows)**bands; candidates are
# then checked against the threshold, so a band scheme only has to find nearly all true pairs
# and few others. Near 25 x 5: J=0.7 0.99, J=0.5 0.55, J=0.3 0.06. Story 128 x 2: J=0.15 0.95,
# J=0.1 0.72, J=0.05 0.27, J=0.015 0.03 (other stories of the same topic rarely reach the
# comparison).


@dataclass(frozen=True)
class Signature:
    """Two MinHashes of one text: `near` over shingles, `story` over content words."""

    near: np.ndarray
    story: np.ndarray

    def to_bytes(self) -> bytes:
        """Fixed-size bytes (little-endian uint32: near, then story) for a database column."""
        return np.concatenate([self.near, self.story]).astype("<u4").tobytes()  # 1,536 bytes

    @classmethod
    def from_bytes(cls, data: bytes) -> "Signature":
        values = np.frombuffer(data, dtype="<u4").astype(np.uint32)
        if len(values) != NUM_PERM + STORY_PERM:
            raise ValueError(f"a signature has {NUM_PERM + STORY_PERM} values, not {len(values)}")
        return cls(near=values[:NUM_PERM], story=values[NUM_PERM:])


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens, punctuation and case folded away."""
    return minhash.tokens(text)


def signature(text: str) -> Signature:
    """The signature of an article's text."""
    near, story = minhash.sign(text)
    return Signature(near=near, story=story)


def band_keys(sig: Signature) -> list[int]:
    """The 32-bit LSH band keys of both parts, as the database indexes them."""
    return minhash.band_keys(sig.near, sig.story)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two MinHashes."""
    return float(np.count_nonzero(a == b)) / len(a)


class LSHIndex:
    """Articles' MinHashes by LSH band, answering which indexed ones resemble a new one."""

    def __init__(self, threshold: float = DUPLICATE_THRESHOLD, part: str = "near") -> None:
        self.threshold, self.part = threshold, part
        self.bands, self.rows = BANDING[part]
        self._buckets: dict[bytes, list[str | int]] = {}
        self._hashes: dict[str | int, np.ndarray] = {}
        self._rank: dict[str | int, int] = {}  # order of arrival: the first seen is the original

    def __len__(self) -> int:
        return len(self._hashes)

    def band_keys(self, sig: Signature) -> list[bytes]:
        """One key per band (band number + its rows' values): what a database would index."""
        values = getattr(sig, self.part)
        return [band.to_bytes(1, "big") + values[band * self.rows:(band + 1) * self.rows].tobytes()
                for band in range(self.bands)]

    def add(self, article_id: str | int, sig: Signature) -> None:
        """Index an article; adding the same id again is a no-op (stages are redelivered)."""
        if article_id in self._hashes:
            return
        self._hashes[article_id] = getattr(sig, self.part)
        self._rank[article_id] = len(self._rank)
        for key in self.band_keys(sig):
            self._buckets.setdefault(key, []).append(article_id)

    def query(self, sig: Signature) -> list[str | int]:
        """Indexed articles whose estimated Jaccard is at least the threshold, first-added first."""
        return [article for article, _ in self.matches(sig)]

    def matches(self, sig: Signature) -> list[tuple[str | int, float]]:
        """(article, estimated Jaccard) of the indexed articles at or above the threshold."""
        values = getattr(sig, self.part)
        candidates = {article for key in self.band_keys(sig)
                      for article in self._buckets.get(key, ())}
        scored = [(article, similarity(values, self._hashes[article]))
                  for article in sorted(candidates, key=self._rank.__getitem__)]
        return [(article, score) for article, score in scored if score >= self.threshold]


class StoryClusters:
    """Assigns each article a story cluster: the cluster of its closest earlier rewrite."""

    def __init__(self, threshold: float = STORY_THRESHOLD) -> None:
        self.index = LSHIndex(threshold, part="story")
        self.cluster_of: dict[str | int, str | int] = {}

    def assign(self, article_id: str | int, sig: Signature) -> str | int:
        """The cluster id of the article (an earlier article's id, or its own for a new story)."""
        if article_id in self.cluster_of:
            return self.cluster_of[article_id]
        matches = self.index.matches(sig)
        best = max(matches, key=lambda match: match[1], default=None)
        self.cluster_of[article_id] = self.cluster_of[best[0]] if best else article_id
        self.index.add(article_id, sig)
        return self.cluster_of[article_id]


def duplicate_of(index: LSHIndex, sig: Signature) -> str | int | None:
    """The first-seen article this text is a near-duplicate of, if any."""
    matches = index.query(sig)
    return matches[0] if matches else None


def build(items: Iterable[tuple[str | int, Signature]], threshold: float = DUPLICATE_THRESHOLD,
          ) -> LSHIndex:
    """An index over (article id, signature) pairs, e.g. read back from the database."""
    index = LSHIndex(threshold)
    for article_id, sig in items:
        index.add(article_id, sig)
    return index
