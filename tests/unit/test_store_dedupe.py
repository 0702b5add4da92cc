"""Near-duplicates and story clusters on known pairs, and the signature's storage contract."""

import json
from itertools import combinations
from pathlib import Path

import pytest

from services.store import dedupe
from services.store.dedupe import LSHIndex, Signature, StoryClusters, signature, similarity

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DATA = json.loads((FIXTURES / "extract" / "duplicates.json").read_text("utf-8"))
TEXTS = {item["id"]: item["text"] for item in DATA["items"]}
SIGS = {key: signature(text) for key, text in TEXTS.items()}
DUPLICATES = {frozenset(pair) for pair in DATA["duplicates"]}
STORIES = {frozenset(pair) for group in DATA["stories"] for pair in combinations(group, 2)}


def _pairs(found: set[frozenset[str]], truth: set[frozenset[str]]) -> tuple[float, float]:
    hits = len(found & truth)
    return (hits / len(found) if found else 1.0), hits / len(truth)


def test_duplicate_pairs_found_and_nothing_else() -> None:
    index = LSHIndex()
    found: set[frozenset[str]] = set()
    for key, sig in SIGS.items():
        found |= {frozenset((key, str(other))) for other in index.query(sig)}
        index.add(key, sig)
    assert _pairs(found, DUPLICATES) == (1.0, 1.0)


def test_story_clusters_group_rewrites_only() -> None:
    clusters = StoryClusters()
    cluster = {key: clusters.assign(key, sig) for key, sig in SIGS.items()}
    found = {frozenset(pair) for pair in combinations(TEXTS, 2)
             if cluster[pair[0]] == cluster[pair[1]]}
    assert _pairs(found, STORIES) == (1.0, 1.0)


def test_original_is_the_first_seen() -> None:
    index = LSHIndex()
    index.add(7, SIGS["odesa-attack"])
    index.add(9, SIGS["odesa-attack-trimmed"])
    assert dedupe.duplicate_of(index, signature(TEXTS["odesa-attack"])) == 7


def test_signature_round_trips_through_bytes() -> None:
    sig = SIGS["zimin"]
    data = sig.to_bytes()
    assert len(data) == 4 * (dedupe.NUM_PERM + dedupe.STORY_PERM)
    again = Signature.from_bytes(data)
    assert similarity(again.near, sig.near) == similarity(again.story, sig.story) == 1.0
    with pytest.raises(ValueError):
        Signature.from_bytes(data[:100])


def test_signature_ignores_case_punctuation_and_spacing() -> None:
    text = TEXTS["zimin"]
    assert similarity(signature(text).near, signature(text.upper().replace(",", " ")).near) == 1


def test_adding_twice_is_a_no_op() -> None:
    index = LSHIndex()
    index.add("a", SIGS["zimin"])
    index.add("a", SIGS["zimin"])
    assert len(index) == 1 and index.query(SIGS["zimin"]) == ["a"]


def test_band_keys_are_stable_bytes_for_a_database_index() -> None:
    index = LSHIndex()
    keys = index.band_keys(SIGS["zimin"])
    assert len(keys) == dedupe.BANDING["near"][0] and len(set(keys)) == len(keys)
    assert keys == LSHIndex().band_keys(signature(TEXTS["zimin"]))


@pytest.mark.parametrize("part,similar,unrelated", [("near", 0.75, 0.3), ("story", 0.15, 0.015)])
def test_banding_finds_similar_and_skips_unrelated(part: str, similar: float,
                                                   unrelated: float) -> None:
    bands, rows = dedupe.BANDING[part]

    def chance(jaccard: float) -> float:
        return 1 - (1 - jaccard ** rows) ** bands

    assert chance(similar) > 0.94 and chance(unrelated) < 0.07
