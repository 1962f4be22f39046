"""Alembic, driven from code: ``devportal migrate`` and ``devportal serve`` call this."""

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str) -> None:
    """Bring the database to the newest schema. Call it outside a running event loop."""
    command.upgrade(alembic_config(database_url), "head")
