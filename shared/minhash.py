"""MinHash signatures and their LSH band keys, vectorised with numpy.

A signature is stored with every article (and rebuilt by a migration when the scheme
changes), so it lives beside the record. Words are hashed once each (crc32), a shingle's hash
is a polynomial of its words' hashes mixed by splitmix64, and the permutations run over all
features at once: 1.9x faster on the development corpus than a sha1 of every shingle in
Python, which it replaces (bench/scale/RESULTS.md).
"""

import re
import zlib
from datetime import timedelta
from functools import cache

import numpy as np

NUM_PERM = 128
STORY_PERM = 256
SHINGLE = 5
SCHEME_VERSION = 2  # 1: datasketch's sha1 of each shingle; stored signatures depend on it
# (bands, rows) per part: near 25 x 5 finds copies (J >= 0.7: 0.99), story 128 x 2 finds
# rewrites (J = 0.15: 0.95); see services/store/dedupe.py.
BANDING = {"near": (25, 5), "story": (128, 2)}
# The story part's keys are kept for the articles fetched within this time of each other: the
# rewrites of a story are news of the same days, and 128 keys an article kept for ever were
# 5/6 of the duplicate index (bench/scale/RESULTS.md). The near part's keys, which find
# copies, and every signature are kept for ever.
STORY_WINDOW = timedelta(days=30)
_MAX_HASH = np.uint64((1 << 32) - 1)
_BLOCK = 512
_WORD = re.compile(r"[^\W_]+")
_STOPWORD_TEXT = (
    "a an the of and or but to in on at by for from with as is are was were be been being has "
    "have had it its he she they them his her their this that these those which who whom what "
    "said says will would could should can may might not no also than then there here into "
    "over after before about more most such only just very so if we our you your i")
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@cache
def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(num_perm)  # the legacy generator: its stream never changes
    a = rng.randint(0, 1 << 63, size=num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = rng.randint(0, 1 << 63, size=num_perm, dtype=np.uint64)
    return a, b


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens, punctuation and case folded away."""
    return _WORD.findall(text.casefold())


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads a polynomial of word hashes over all 64 bits."""
    with np.errstate(over="ignore"):
        values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


def word_hashes(words: list[str]) -> np.ndarray:
    """crc32 of each word, each distinct word hashed once."""
    hashed = {word: zlib.crc32(word.encode()) for word in dict.fromkeys(words)}
    return np.fromiter(map(hashed.__getitem__, words), dtype=np.uint64, count=len(words))


def shingle_hashes(hashes: np.ndarray, size: int) -> np.ndarray:
    """The distinct 32-bit hashes of every run of `size` consecutive words (or of all, if fewer)."""
    if len(hashes) == 0:
        return np.zeros(1, dtype=np.uint64)  # the empty text: one feature, as before
    size = min(size, len(hashes))
    runs = len(hashes) - size + 1
    combined = np.zeros(runs, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(size):
            combined = combined * np.uint64(0x100000001B3) + hashes[offset:offset + runs]
    return np.unique(_mix(combined) & _MAX_HASH)


def minhash(features: np.ndarray, num_perm: int) -> np.ndarray:
    """The MinHash (uint32) of a set of 32-bit feature hashes, all permutations at once."""
    a, b = _permutations(num_perm)
    # Multiply-shift hashing (odd a, top 32 bits of a*x + b mod 2**64): a universal family
    # with no modulo, which was most of the cost. The shift is monotone, so it is taken of
    # the minimum only; blocks of features keep the permuted values in the CPU's cache.
    least = np.full(num_perm, np.iinfo(np.uint64).max, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for start in range(0, len(features), _BLOCK):
            permuted = np.multiply.outer(a, features[start:start + _BLOCK])
            permuted += b[:, None]
            np.minimum(least, permuted.min(axis=1), out=least)
    return (least >> np.uint64(32)).astype(np.uint32)


def sign(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(near, story): MinHashes of 5-word shingles and of adjacent content-word pairs."""
    words = tokens(text)
    content = [word for word in words if word not in STOPWORDS and not word.isdigit()]
    near = minhash(shingle_hashes(word_hashes(words), SHINGLE), NUM_PERM)
    story = minhash(shingle_hashes(word_hashes(content), 2), STORY_PERM)
    return near, story


def part_keys(near: np.ndarray, story: np.ndarray) -> dict[str, list[int]]:
    """One signed 32-bit key per band of each part (part and band number mixed in)."""
    keys = {}
    for salt, (part, values) in enumerate((("near", near), ("story", story))):
        bands, rows = BANDING[part]
        grid = values[:bands * rows].astype(np.uint64).reshape(bands, rows)
        combined = np.arange(bands, dtype=np.uint64) + np.uint64((salt + 1) << 40)
        with np.errstate(over="ignore"):
            for row in range(rows):
                combined = _mix(combined * np.uint64(0x100000001B3) + grid[:, row])
        keys[part] = np.unique((combined >> np.uint64(32)).astype(np.uint32).view(np.int32))
    return {part: values.tolist() for part, values in keys.items()}


def band_keys(near: np.ndarray, story: np.ndarray) -> list[int]:
    """The band keys of both parts, sorted: what the database indexes for an article."""
    return sorted({key for keys in part_keys(near, story).values() for key in keys})
