"""The first admin, from DEVPORTAL_BOOTSTRAP_ADMIN_EMAIL/_PASSWORD, when there is none."""

import logging

import sqlalchemy as sa

from devportal.db import Database
from devportal.resolvers import accounts
from devportal.settings import Settings

log = logging.getLogger("devportal")


async def bootstrap_admin(settings: Settings, db: Database) -> None:
    email, password = settings.bootstrap_admin_email, settings.bootstrap_admin_password
    if not email or password is None:
        return
    try:
        async with db.transaction() as session:
            if await accounts.any_admin_exists(session):
                return
            await accounts.create_admin(
                session=session, email=email, password=password.get_secret_value()
            )
    except sa.exc.IntegrityError:
        return  # another worker created it at the same moment
    log.info("created the first admin, %s, from DEVPORTAL_BOOTSTRAP_ADMIN_EMAIL", email)
