"""The embedded mode's furniture index: learned in memory during a run, kept in the database
between runs, so a scheduled `copydesk run` of a few new pages judges them on what the site's
earlier runs showed, as the workers do with their counts in Redis."""

import json
from collections.abc import Sequence

from isal import isal_zlib
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from services.clean.furniture import MemoryFurniture
from shared.db import FurnitureRecord


class StoredFurniture(MemoryFurniture):
    """A MemoryFurniture that reads a site's counts from the database the first time the site
    is met, and writes back the sites whose counts changed when save() is called."""

    def __init__(self, sessions: sessionmaker, window: int) -> None:
        super().__init__(window=window)
        self.sessions = sessions
        self._loaded: set[str] = set()
        self._changed: set[str] = set()

    def observe(self, site: str, page_key: str, paragraphs: Sequence[str]) -> frozenset[str]:
        self._load(site)
        pages = len(self._pages[site])
        found = super().observe(site, page_key, paragraphs)
        if len(self._pages[site]) != pages:
            self._changed.add(site)
        return found

    def is_furniture(self, site: str, paragraph: str) -> bool:
        self._load(site)
        return super().is_furniture(site, paragraph)

    def save(self) -> int:
        """Write the sites whose counts changed since they were read; how many."""
        changed, self._changed = sorted(self._changed), set()
        with self.sessions.begin() as session:
            for site in changed:
                session.merge(FurnitureRecord(site=site, state=isal_zlib.compress(
                    json.dumps(self.state(site)).encode(), 1)))
        return len(changed)

    def _load(self, site: str) -> None:
        if site in self._loaded:
            return
        self._loaded.add(site)
        with self.sessions() as session:
            kept = session.scalar(select(FurnitureRecord.state).where(FurnitureRecord.site == site))
        if kept is not None:
            self.restore(site, json.loads(isal_zlib.decompress(kept)))
