"""Alembic environment: async engine, models' metadata as the target."""

import asyncio
import logging

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import devportal.models  # noqa: F401  (registers every table)
from devportal.db import create_engine

config = context.config
target_metadata = SQLModel.metadata
log = logging.getLogger("devportal.migrate")


def _database_url() -> str:
    url = config.attributes.get("database_url")
    if url is None:
        from devportal.settings import Settings

        url = Settings().database_url
    return str(url)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(_database_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
