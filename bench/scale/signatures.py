"""Time the store stage's signature, side by side: numpy (shared/minhash.py) against datasketch.

    python bench/scale/signatures.py [--rounds 5]

Both make the same two MinHashes (128 permutations over 5-word shingles, 256 over adjacent
content-word pairs) of every article body of the development corpus (fundus80's ground
truth); datasketch hashes each feature with sha1 in Python, as the store did before
migration 0006. Prints per round the mean ms per article of each, then the medians.
"""

import argparse
import json
import statistics
import sys
import time
from itertools import pairwise
from pathlib import Path

import numpy as np
from datasketch import MinHash

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from shared import minhash  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "fundus80" / "ground_truth.json"
_PERMS = {n: MinHash(num_perm=n, seed=1, scheme="affine32").permutations for n in (128, 256)}


def datasketch_signature(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The earlier signature: a sha1 per shingle and per pair, through datasketch."""
    words = minhash.tokens(text)
    shingles = {" ".join(words[i:i + 5]) for i in range(max(1, len(words) - 4))}
    content = [w for w in words if w not in minhash.STOPWORDS and not w.isdigit()]
    pairs = {f"{a} {b}" for a, b in pairwise(content)}
    out = []
    for features, perms in ((shingles, 128), (pairs, 256)):
        hashed = MinHash(num_perm=perms, permutations=_PERMS[perms], scheme="affine32")
        hashed.update_batch([feature.encode() for feature in features])
        out.append(hashed.hashvalues)
    return out[0], out[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    texts = ["\n".join(body["body"]) for body in json.loads(CORPUS.read_text()).values()]
    times: dict[str, list[float]] = {"numpy": [], "datasketch": []}
    for number in range(args.rounds):
        for name, sign in (("numpy", minhash.sign), ("datasketch", datasketch_signature)):
            started = time.perf_counter()
            for text in texts:
                sign(text)
            times[name].append(1000 * (time.perf_counter() - started) / len(texts))
        print(f"round {number + 1}: numpy {times['numpy'][-1]:.2f} ms, "
              f"datasketch {times['datasketch'][-1]:.2f} ms", flush=True)
    numpy_ms, sketch_ms = (statistics.median(times[n]) for n in ("numpy", "datasketch"))
    print(json.dumps({"articles": len(texts), "numpy_ms": round(numpy_ms, 2),
                      "datasketch_ms": round(sketch_ms, 2),
                      "speedup": round(sketch_ms / numpy_ms, 2)}))


if __name__ == "__main__":
    main()
