"""The limits on log-in attempts, per client address as well as per account.

Each wrong password counts three times: for the account from this client, for
the account from anywhere, and for this client whatever the account.

- 10 for one account from one client address lock that pair alone: a stranger
  guessing someone's password locks out themselves, not the owner.
- 100 for one account from everywhere are a ceiling against guessing spread
  over many addresses; a client address that logged in to the account within
  the last day is not held back by it, so even that cannot shut the owner out.
- 50 from one client address over all accounts stop password spraying.

An attempt is counted before the password is checked, in the same atomic
statement that reads the count, so parallel guesses cannot all pass the check;
an attempt refused by a limit counts nowhere, so refusals cannot be used to
push the other counts up. A correct password takes its counts back and clears
the pair's.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from devportal.resolvers import throttle
from devportal.resolvers.throttle import (
    FAILED_LOG_INS,
    KNOWN_CLIENT,
    LOG_INS_FROM_CLIENT,
    LOG_INS_TO_ACCOUNT,
)

_KNOWN = "log-in-known"


class LogInGuard:
    def __init__(self, kind: str, address: str, client: str) -> None:
        self._account = f"{kind}:{address}"
        self._pair = f"{kind}:{address}|{client}"
        self._client = client

    async def admit(self, session: AsyncSession) -> None:
        """Count this attempt, or raise RATE_LIMITED (the caller's transaction then
        rolls back, and the attempt counts nowhere)."""
        if not FAILED_LOG_INS.allows(await throttle.count(session, FAILED_LOG_INS, self._pair)):
            raise FAILED_LOG_INS.refusal()
        from_client = await throttle.count(session, LOG_INS_FROM_CLIENT, self._client)
        if not LOG_INS_FROM_CLIENT.allows(from_client):
            raise LOG_INS_FROM_CLIENT.refusal()
        to_account = await throttle.count(session, LOG_INS_TO_ACCOUNT, self._account)
        if not LOG_INS_TO_ACCOUNT.allows(to_account) and not await self._known(session):
            raise LOG_INS_TO_ACCOUNT.refusal()

    async def succeeded(self, session: AsyncSession) -> None:
        """The password was right: forget this pair's mistakes, take back this attempt's
        counts, and remember the client as one the account logs in from."""
        await throttle.clear(session, FAILED_LOG_INS, self._pair)
        await throttle.uncount(session, LOG_INS_FROM_CLIENT, self._client)
        await throttle.uncount(session, LOG_INS_TO_ACCOUNT, self._account)
        await throttle.remember(session, _KNOWN, self._pair)

    async def _known(self, session: AsyncSession) -> bool:
        return await throttle.remembered(session, _KNOWN, self._pair, KNOWN_CLIENT)
