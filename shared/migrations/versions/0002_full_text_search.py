"""full-text search: a GIN index on PostgreSQL, an FTS5 table kept by triggers on SQLite

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PG_DOCUMENT = "to_tsvector('english', coalesce(title, '') || ' ' || text)"
SQLITE_TRIGGERS = {
    "articles_fts_insert": "AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "articles_fts_delete": "AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, text) "
    "VALUES ('delete', old.id, old.title, old.text); END",
    "articles_fts_update": "AFTER UPDATE OF title, text ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, text) "
    "VALUES ('delete', old.id, old.title, old.text); "
    "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX ix_articles_fts ON articles USING GIN ({PG_DOCUMENT})")
        return
    op.execute("CREATE VIRTUAL TABLE articles_fts USING fts5("
               "title, text, content='articles', content_rowid='id', tokenize='porter unicode61')")
    op.execute("INSERT INTO articles_fts(rowid, title, text) SELECT id, title, text FROM articles")
    for name, body in SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_articles_fts")
        return
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP TABLE articles_fts")
