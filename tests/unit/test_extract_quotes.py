"""Quotes: precision and recall on the hand-labelled set, and the attribution rules."""

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from services.extract.entities import analyse
from services.extract.extract import MAX_ANALYSED_CHARS, extract
from services.extract.quotes import find_quotes
from shared.errors import PermanentError
from shared.models import CleanPage, Quote, RawPage

UNITS = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "extract" /
                    "quotes.json").read_text("utf-8"))["units"]
# Measured: quotation text P 1.00 R 1.00 on both splits; with the right speaker, dev 1.00/1.00
# and heldout 1.00/1.00 (16 quotations).
THRESHOLDS = {"dev": (0.95, 0.95), "heldout": (0.85, 0.85)}


def quotes_of(paragraphs: list[str]) -> list[Quote]:
    return find_quotes(analyse(paragraphs))


def _key(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def score(split: str) -> tuple[float, float]:
    """Precision and recall of quotations found with the right text and the right speaker."""
    right = found = expected = 0
    for unit in (unit for unit in UNITS if unit["split"] == split):
        gold = {_key(quote["text"]): quote["speaker"] for quote in unit["quotes"]}
        got = quotes_of(unit["paragraphs"])
        right += sum(_key(quote.text) in gold and gold[_key(quote.text)] == quote.speaker
                     for quote in got)
        found, expected = found + len(got), expected + len(gold)
    return right / found, right / expected


@pytest.mark.parametrize("split", sorted(THRESHOLDS))
def test_precision_and_recall(split: str) -> None:
    precision, recall = score(split)
    print(f"quotes {split}: precision {precision:.2f} recall {recall:.2f}")
    assert precision >= THRESHOLDS[split][0] and recall >= THRESHOLDS[split][1]


def test_named_speaker_after_the_quote() -> None:
    [quote] = quotes_of(["“They partially entered the suburbs, the industrial zone, and were "
                         "destroyed by our troops,” the city’s military administration chief "
                         "Andriy Besedin said."])
    assert quote == Quote(speaker="Andriy Besedin", text="They partially entered the suburbs, "
                          "the industrial zone, and were destroyed by our troops")


def test_he_added_is_the_last_named_speaker() -> None:
    quotes = quotes_of([
        "Kyiv appeared to have isolated the Russian forces, Pasi Paroinen, a military analyst "
        "with the Black Bird Group, said.",
        "“However, a penetration like that certainly signals confusion,” he added."])
    assert [quote.speaker for quote in quotes] == ["Pasi Paroinen"]


def test_quote_split_around_said_keeps_its_speaker() -> None:
    quotes = quotes_of(["“There were assault actions using heavy vehicles,” Oleh Kiper said. "
                        "“There were attempts to bring in infantry.”"])
    assert [quote.speaker for quote in quotes] == ["Oleh Kiper", "Oleh Kiper"]


def test_straight_quotes_and_surname_resolution() -> None:
    quotes = quotes_of(["Texas senator John Cornyn announced his run on Thursday.",
                        '"I am asking my colleagues to give me the opportunity," Cornyn said.'])
    assert quotes == [Quote(speaker="John Cornyn",
                            text="I am asking my colleagues to give me the opportunity")]


def test_scare_quotes_and_titles_are_not_quotations() -> None:
    assert quotes_of(["Officials called it a “ghost town” after the opera “The Grapes of "
                      "Wrath” opened."]) == []


def test_unnamed_speaker_stays_unnamed() -> None:
    quotes = quotes_of(["“An unknown man pushed her, causing her to fall,” the ministry said."])
    assert [quote.speaker for quote in quotes] == [None]


# Hostile pages just under the extract stage's text budget, each run in a child process so the
# time and the peak memory are its own. The bound is on the child's CPU time, which a busy
# machine does not inflate the way it does the wall time: before the passes were made linear
# (0fc8333), the first page took 56 s of CPU, the other two were stopped at 60 s of CPU.
HOSTILE_PARAGRAPHS = {
    "short quoted paragraphs": "“We will hold the line here tonight number {i},” said {name}.",
    "quotations inline": "“Short quoted words here” “again quoted words here” said he " * 50,
    "long capitalised runs": "Alpha Beta Gamma Delta " * 2000,
}
HOSTILE_SCRIPT = """
import re, sys, time
from services.extract.extract import extract
from services.extract.gazetteer import gazetteer
from shared.models import CleanPage, RawPage
gazetteer()
names = ["Olena Kovalenko", "Mark Rutte", "the ministry", "he", "Dmytro Kuleba"]
paragraphs, size, i = [], 0, 0
while size < int(sys.argv[2]):
    paragraph = sys.argv[1].format(i=i, name=names[i % 5])
    paragraphs.append(paragraph)
    size, i = size + len(paragraph), i + 1
raw = RawPage(job_id="j", source="s", url="https://example.com/a",
              final_url="https://example.com/a", body="", content_type="text/plain")
started, cpu = time.perf_counter(), time.process_time()
article = extract(CleanPage(raw=raw, paragraphs=tuple(paragraphs)))
# VmHWM, not ru_maxrss: that one keeps the peak of the parent this process was forked from.
peak = re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read())[1]
print(time.perf_counter() - started, time.process_time() - cpu, len(article.quotes), peak)
"""


@pytest.mark.parametrize("paragraph", HOSTILE_PARAGRAPHS.values(), ids=HOSTILE_PARAGRAPHS.keys())
def test_hostile_page_under_the_budget_is_read_in_seconds(paragraph: str) -> None:
    try:
        done = subprocess.run([sys.executable, "-c", HOSTILE_SCRIPT, paragraph,
                               str(MAX_ANALYSED_CHARS - 50_000)],
                              capture_output=True, text=True, timeout=300,
                              cwd=Path(__file__).resolve().parents[2])
    except subprocess.TimeoutExpired:
        pytest.fail("a page of 2 million characters took more than 300 s to extract")
    assert done.returncode == 0, done.stderr[-2000:]
    seconds, cpu, quotes, peak_kb = done.stdout.split()
    print(f"{paragraph[:30]!r}: {float(seconds):.1f} s, CPU {float(cpu):.1f} s, {quotes} quotes, "
          f"peak {int(peak_kb) // 1024} MB")
    # Measured 1.4-2.6 s of CPU and 170-260 MB (the wall time was 11-23 s on a machine loaded
    # to 11 on 2 cores). Before the passes were linear: 56 s of CPU and more (quadratic).
    assert float(cpu) < 20 and int(peak_kb) < 1024 * 1024


def test_text_over_the_budget_is_refused_at_once() -> None:
    paragraphs = ("“We will hold the line here tonight,” said Olena Kovalenko.",) * 160_000
    raw = RawPage(job_id="j", source="s", url="https://example.com/a",
                  final_url="https://example.com/a", body="", content_type="text/plain")
    started = time.perf_counter()
    with pytest.raises(PermanentError) as refused:
        extract(CleanPage(raw=raw, paragraphs=paragraphs))
    assert refused.value.reason == "too_large" and "characters of text" in str(refused.value)
    assert time.perf_counter() - started < 5
