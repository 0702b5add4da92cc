"""The schema check every command and worker makes at start: Alembic only when it has work."""

import subprocess
import sys
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory

from shared.db import MIGRATIONS, engine_for, head_revision, migrate, schema_revision


def test_the_head_by_file_name_is_alembics_head() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert head_revision() == ScriptDirectory.from_config(config).get_current_head()


def test_a_new_database_is_migrated_to_the_head(database_url: str) -> None:
    migrate(database_url)
    assert schema_revision(engine_for(database_url)) == head_revision()


def test_an_up_to_date_database_does_not_load_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'current.db'}"
    migrate(url)
    # A fresh process, as a command starts: the check is one SELECT, no migration script loads.
    probe = ("import sys; from shared.db import migrate; migrate(sys.argv[1]); "
             "print('alembic' in sys.modules, 'shared.minhash' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe, url], capture_output=True, text=True,
                            check=True, cwd=Path(__file__).resolve().parents[2])
    assert result.stdout.split() == ["False", "False"], result.stderr
