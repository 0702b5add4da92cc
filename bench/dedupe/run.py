"""Time the near-duplicate and story checks at 1k, 10k and 100k indexed articles.

Texts are synthetic but shaped like news: function words in their usual share, content words
drawn from a Zipf law over a large vocabulary, and each article about one of many stories
whose own names recur in it. A check is what the store stage does per article: compute the
signature, ask the duplicate index, ask the story clusters, then add the article.

    python bench/dedupe/run.py [--sizes 1000,10000,100000] [--checks 300]
"""

import argparse
import random
import statistics
import time

import numpy as np

from services.store.dedupe import LSHIndex, StoryClusters, duplicate_of, signature

FUNCTION_TEXT = ("the of and to in a is that for on was with as by at from it said has were have "
            "be an are will after his its their who which but not this had")
FUNCTION = FUNCTION_TEXT.split()


class Writer:
    """Makes news-shaped texts: a story's names, its topic's words, and common vocabulary."""

    def __init__(self, seed: int = 7, vocabulary: int = 50_000, topics: int = 300) -> None:
        self.random = random.Random(seed)
        self.rng = np.random.default_rng(seed)
        self.common = [self._word() for _ in range(vocabulary)]
        self.topics = [[self._word() for _ in range(2_000)] for _ in range(topics)]
        self.zipf_common = self._zipf(vocabulary)
        self.zipf_topic = self._zipf(2_000)

    def _word(self) -> str:
        return "".join(self.random.choice("abcdefghiklmnoprstuvwy")
                       for _ in range(self.random.randint(3, 10)))

    @staticmethod
    def _zipf(size: int) -> np.ndarray:
        weights = 1 / np.arange(1, size + 1) ** 1.05
        return weights / weights.sum()

    def story(self) -> tuple[list[str], list[str]]:
        """One story: the names it keeps repeating, and the vocabulary of its topic."""
        return [self._word().title() for _ in range(12)], self.random.choice(self.topics)

    def article(self, story: tuple[list[str], list[str]], words: int = 450) -> str:
        names, topic = story
        kinds = self.rng.random(words)
        common = self.rng.choice(len(self.common), size=words, p=self.zipf_common)
        topical = self.rng.choice(len(topic), size=words, p=self.zipf_topic)
        out = []
        for index, roll in enumerate(kinds):
            if roll < 0.45:
                out.append(self.random.choice(FUNCTION))
            elif roll < 0.53:
                out.append(self.random.choice(names))
            elif roll < 0.75:
                out.append(topic[topical[index]])
            else:
                out.append(self.common[common[index]])
        return " ".join(out)


def edit(text: str, rng: random.Random) -> str:
    """A syndicated copy: new dateline and credit line, its last paragraph cut, 1% words changed."""
    words = text.split()
    words = ["LONDON", "(Agency)", "-", *words[:int(len(words) * 0.92)], "Reporting", "by", "us"]
    for _ in range(len(words) // 100):
        words[rng.randrange(len(words))] = "edited"
    return " ".join(words)


def run(size: int, checks: int, writer: Writer) -> dict[str, float]:
    """Fill the indexes with `size` articles, then time `checks` further checks."""
    stories = [writer.story() for _ in range(max(1, size // 5))]
    duplicates, clusters = LSHIndex(), StoryClusters()
    texts = []
    for number in range(size):
        text = writer.article(writer.random.choice(stories))
        texts.append(text)
        sig = signature(text)
        duplicates.add(number, sig)
        clusters.assign(number, sig)
    rng = random.Random(size)
    sign, lookup, found = [], [], 0
    for number in range(size, size + checks):
        # Every third check is a lightly edited copy of an indexed article: it must be found.
        copy = number % 3 == 0
        text = edit(rng.choice(texts), rng) if copy else writer.article(rng.choice(stories))
        start = time.perf_counter()
        sig = signature(text)
        middle = time.perf_counter()
        original = duplicate_of(duplicates, sig)
        clusters.assign(number, sig)
        duplicates.add(number, sig)
        end = time.perf_counter()
        sign.append(middle - start)
        lookup.append(end - middle)
        found += copy and original is not None
    return {"size": size, "signature_ms": 1000 * statistics.mean(sign),
            "lookup_ms": 1000 * statistics.mean(lookup),
            "lookup_p99_ms": 1000 * sorted(lookup)[int(0.99 * len(lookup))],
            "copies_found": found / len(range(size, size + checks, 3))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--checks", type=int, default=300)
    args = parser.parse_args()
    writer = Writer()
    print("| indexed | signature ms | lookup ms (mean) | lookup ms (p99) | copies found |")
    print("|---:|---:|---:|---:|---:|")
    for size in map(int, args.sizes.split(",")):
        row = run(size, args.checks, writer)
        print(f"| {row['size']:,} | {row['signature_ms']:.3f} | {row['lookup_ms']:.3f} | "
              f"{row['lookup_p99_ms']:.3f} | {row['copies_found']:.0%} |", flush=True)


if __name__ == "__main__":
    main()
