"""Export writers: JSON lines, CSV (nested fields as JSON text) and Parquet."""

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from shared.printable import inert_cell
from shared.records import EXPORT_FIELDS

FORMATS = ("jsonl", "csv", "parquet")
DEAD_LETTER_FORMATS = ("jsonl", "csv")
DEAD_LETTER_FIELDS = ("job_id", "url", "source", "stage", "reason", "message", "attempts",
                      "created_at")
NESTED = ("authors", "tags", "entries", "entities", "quotes", "date_sources")
INTEGERS = ("id", "duplicate_of", "revision", "cluster_id")


def write_jsonl(records: Iterable[dict[str, Any]], stream: TextIO) -> int:
    count = 0
    for record in records:
        stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    return {key: json.dumps(value, ensure_ascii=False) if key in NESTED else value
            for key, value in record.items()}


def write_csv(records: Iterable[dict[str, Any]], stream: TextIO) -> int:
    writer = csv.DictWriter(stream, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    count = 0
    for record in records:
        writer.writerow({key: inert_cell(value) for key, value in _flat(record).items()})
        count += 1
    return count


def write_parquet(records: Iterable[dict[str, Any]], path: Path, batch: int = 5000) -> int:
    """Parquet in row groups of `batch` articles, so a large archive never sits in memory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(field, pa.int64() if field in INTEGERS
                         else pa.bool_() if field == "is_live_blog" else pa.string())
                        for field in EXPORT_FIELDS])
    count, rows = 0, []
    with pq.ParquetWriter(path, schema) as writer:
        for record in records:
            rows.append(_flat(record))
            count += 1
            if len(rows) == batch:
                writer.write_table(pa.Table.from_pylist(rows, schema=schema))
                rows = []
        if rows or not count:
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
    return count


def write_dead_letters(letters: Iterable[dict[str, Any]], fmt: str, stream: TextIO) -> int:
    """Dead letters as JSON lines or CSV rows; ValueError for any other format."""
    if fmt == "jsonl":
        return write_jsonl(letters, stream)
    if fmt != "csv":
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(DEAD_LETTER_FORMATS)}")
    writer = csv.DictWriter(stream, fieldnames=DEAD_LETTER_FIELDS)
    writer.writeheader()
    count = 0
    for letter in letters:
        writer.writerow(letter)
        count += 1
    return count
