"""`copydesk extract --jsonl`: clean and extract pages from stdin, no database and no network."""

import json
from typing import TextIO

from services.clean.clean import clean
from services.extract.extract import extract
from shared.errors import StageError
from shared.models import RawPage


def extract_line(line: str, number: int) -> str:
    """One input line {"url", "html"} as one output line: the Article, or an error object."""
    try:
        item = json.loads(line)
        url = str(item.get("url") or f"stdin:{number}")
        raw = RawPage(job_id=f"line-{number}", source="stdin", url=url, final_url=url,
                      content_type=str(item.get("content_type") or "text/html"),
                      body=str(item["html"]))
        return extract(clean(raw)).model_dump_json(exclude={"job_id", "removed"})
    except (ValueError, KeyError, TypeError) as error:
        return json.dumps({"error": "bad_input", "message": str(error), "text": ""})
    except StageError as error:
        return json.dumps({"error": error.reason, "message": error.message, "text": ""})


def extract_lines(source: TextIO, sink: TextIO) -> None:
    """Answer each input line in order, flushing after each so a caller can interleave."""
    for number, line in enumerate(source, 1):
        if not line.strip():
            continue
        sink.write(extract_line(line, number) + "\n")
        sink.flush()
