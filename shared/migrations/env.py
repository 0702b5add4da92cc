"""Alembic environment: runs migrations on the engine copydesk passes in."""

from alembic import context

from shared.db import Base, engine_for

config = context.config
engine = config.attributes.get("engine") or engine_for(config.get_main_option("sqlalchemy.url"))

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
