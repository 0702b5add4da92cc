"""Export writers: JSON lines, CSV (nested fields as JSON text) and Parquet."""

import csv
import json
from collections.abc import Iterable, Iterator, Mapping
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


class EncodedRecord(Mapping[str, Any]):
    """An export record read as its JSON line (copydesk/queries.py writes it from the stored
    columns and JSON): JSON lines are written as they are; other readers see the record,
    decoded once."""

    __slots__ = ("_record", "line")

    def __init__(self, line: str) -> None:
        self.line = line
        self._record: dict[str, Any] | None = None

    def _decoded(self) -> dict[str, Any]:
        if self._record is None:
            self._record = json.loads(self.line)
        return self._record

    def __getitem__(self, key: str) -> Any:
        return self._decoded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._decoded())

    def __len__(self) -> int:
        return len(self._decoded())


def write_jsonl(records: Iterable[Mapping[str, Any]], stream: TextIO) -> int:
    count = 0
    for record in records:
        line = record.line if isinstance(record, EncodedRecord) \
            else json.dumps(record, ensure_ascii=False)
        stream.write(line + "\n")
        count += 1
    return count


def _flat(record: Mapping[str, Any]) -> dict[str, Any]:
    return {key: json.dumps(value, ensure_ascii=False) if key in NESTED else value
            for key, value in record.items()}


def write_csv(records: Iterable[Mapping[str, Any]], stream: TextIO) -> int:
    writer = csv.DictWriter(stream, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    count = 0
    for record in records:
        writer.writerow({key: inert_cell(value) for key, value in _flat(record).items()})
        count += 1
    return count


def write_parquet(records: Iterable[Mapping[str, Any]], path: Path, batch: int = 5000) -> int:
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
