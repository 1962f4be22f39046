"""Accounts: sign-up, email confirmation, approval, log-in, sessions, password reset."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from devportal.db import Database, execute_update, queue_event
from devportal.errors import (
    AccountDisabled,
    AccountPendingApproval,
    BadUserInput,
    Conflict,
    EmailNotConfirmed,
    InvalidCredentials,
    InvalidToken,
    NotFound,
)
from devportal.events import DeveloperStatusChanged, SessionsEnded
from devportal.mailer import templates
from devportal.mailer.outbox import enqueue
from devportal.models import (
    Admin,
    AuthSession,
    Developer,
    DeveloperStatus,
    EmailToken,
    EmailTokenPurpose,
)
from devportal.models.base import utcnow
from devportal.resolvers import throttle
from devportal.resolvers.checks import optional_text, required_text
from devportal.resolvers.common import Account
from devportal.resolvers.pagination import Page, paginate
from devportal.resolvers.portal import get_portal_settings
from devportal.security import (
    hash_password,
    needs_rehash,
    new_token,
    token_digest,
    verify_password,
)
from devportal.settings import Settings

log = logging.getLogger("devportal.accounts")

MIN_PASSWORD = 12
MAX_PASSWORD = 1024


@dataclass(frozen=True)
class SignUpData:
    email: str
    full_name: str
    password: str
    organization: str | None = None


@dataclass(frozen=True)
class IssuedSession:
    token: str
    expires_at: datetime
    account: Account


# --- input -------------------------------------------------------------------------------


def normalize_email(email: str) -> str:
    """An address as stored and compared: lower-case ASCII, an IDN domain in punycode.

    ASCII because addresses travel where only ASCII fits: the gateway's
    ``X-Consumer-Developer-Email`` header, and SMTP without SMTPUTF8.
    """
    try:
        checked = validate_email(
            email.strip(),
            check_deliverability=False,  # no DNS lookups while answering a request
            allow_smtputf8=False,
            test_environment=True,  # allows *.test, as in the demo
        )
    except EmailNotValidError as error:
        raise BadUserInput(f"Enter a valid email address. {error}") from None
    return (checked.ascii_email or checked.normalized).lower()


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise BadUserInput(f"The password must be at least {MIN_PASSWORD} characters long.")
    if len(password) > MAX_PASSWORD:
        raise BadUserInput(f"The password must be at most {MAX_PASSWORD} characters long.")
    return password


# --- sign-up and confirmation --------------------------------------------------------------


async def sign_up(*, session: AsyncSession, settings: Settings, data: SignUpData) -> None:
    """Create an unconfirmed account, or tell the address's owner they already have one.

    Both paths hash the password, so they take about as long and answer the same.
    """
    email = normalize_email(data.email)
    full_name = required_text(data.full_name, "The full name")
    organization = optional_text(data.organization, "The organization")
    password_hash = await hash_password(check_password(data.password))
    if await _developer_by_email(session, email) is not None:
        mail = templates.account_exists(reset_link=settings.link("/reset-password"))
        await _mail_unless_flooding(session, email, mail)
        return
    developer = Developer(
        email=email, full_name=full_name, organization=organization, password_hash=password_hash
    )
    try:
        async with session.begin_nested():
            session.add(developer)
    except sa.exc.IntegrityError:
        # A simultaneous sign-up with this address won the race: it is taken now.
        mail = templates.account_exists(reset_link=settings.link("/reset-password"))
        await _mail_unless_flooding(session, email, mail)
        return
    token = await _issue_email_token(
        session, developer, EmailTokenPurpose.CONFIRM_EMAIL, settings.confirm_email_ttl_seconds
    )
    link = settings.link(f"/confirm-email?token={token}")
    await _mail_unless_flooding(
        session, email, templates.confirm_email(full_name=full_name, link=link)
    )


async def confirm_email(*, session: AsyncSession, token: str) -> Developer:
    """UNCONFIRMED -> PENDING, or APPROVED at once when the portal auto-approves."""
    developer = await _use_email_token(session, token, EmailTokenPurpose.CONFIRM_EMAIL)
    if developer.status != DeveloperStatus.UNCONFIRMED:
        raise InvalidToken()
    portal = await get_portal_settings(session)
    target = DeveloperStatus.APPROVED if portal.auto_approve_developers else DeveloperStatus.PENDING
    return await _transition(session, developer.id, {DeveloperStatus.UNCONFIRMED}, target)


# --- log-in and sessions ---------------------------------------------------------------------


async def log_in(*, db: Database, settings: Settings, email: str, password: str) -> IssuedSession:
    address = _login_email(email)

    async def attempt(session: AsyncSession) -> IssuedSession:
        developer = await _developer_by_email(session, address)
        stored_hash = developer.password_hash if developer else None
        if not await verify_password(stored_hash, password) or developer is None:
            raise InvalidCredentials()
        _check_can_log_in(developer)
        await _maybe_rehash(developer, password)
        return await _issue_session(session, settings, developer)

    return await _unless_guessing(db, f"developer:{address}", attempt)


async def admin_log_in(
    *, db: Database, settings: Settings, email: str, password: str
) -> IssuedSession:
    address = _login_email(email)

    async def attempt(session: AsyncSession) -> IssuedSession:
        admin = await session.scalar(sa.select(Admin).where(col(Admin.email) == address))
        stored_hash = admin.password_hash if admin else None
        if not await verify_password(stored_hash, password) or admin is None:
            raise InvalidCredentials()
        await _maybe_rehash(admin, password)
        return await _issue_session(session, settings, admin)

    return await _unless_guessing(db, f"admin:{address}", attempt)


async def _unless_guessing(
    db: Database, subject: str, attempt: Callable[[AsyncSession], Awaitable[IssuedSession]]
) -> IssuedSession:
    """Refuse log-in to an address that had too many wrong passwords lately.

    A wrong password must be counted even though the log-in fails and its
    transaction rolls back, so it is counted in a transaction of its own.
    """
    try:
        async with db.transaction() as session:
            await throttle.check(session, throttle.FAILED_LOG_INS, subject)
            issued = await attempt(session)
            await throttle.clear(session, throttle.FAILED_LOG_INS, subject)
            return issued
    except InvalidCredentials:
        async with db.transaction() as session:
            await throttle.hit(session, throttle.FAILED_LOG_INS, subject)
        raise


async def log_out(*, session: AsyncSession, token: str) -> None:
    digest = token_digest(token)
    await execute_update(
        session, sa.delete(AuthSession).where(col(AuthSession.token_hash) == digest)
    )
    queue_event(session, SessionsEnded(token_digest=digest))


@dataclass(frozen=True)
class Authenticated:
    account: Account
    expires_at: datetime
    token_digest: str


async def authenticate(*, session: AsyncSession, token: str) -> Authenticated | None:
    """Who holds a bearer token, or None if it is unknown, expired or disabled."""
    digest = token_digest(token)
    auth = await session.scalar(sa.select(AuthSession).where(col(AuthSession.token_hash) == digest))
    if auth is None or auth.expires_at <= utcnow():
        return None
    account: Account | None = None
    if auth.admin_id is not None:
        account = await session.get(Admin, auth.admin_id)
    elif auth.developer_id is not None:
        developer = await session.get(Developer, auth.developer_id)
        if developer is not None and developer.status == DeveloperStatus.APPROVED:
            account = developer
    return Authenticated(account, auth.expires_at, digest) if account else None


def _login_email(email: str) -> str:
    """Log-in takes any string: a malformed address is just a wrong one."""
    try:
        return normalize_email(email)
    except BadUserInput:
        return email.strip().lower()[:320]


def _check_can_log_in(developer: Developer) -> None:
    match developer.status:
        case DeveloperStatus.APPROVED:
            return
        case DeveloperStatus.UNCONFIRMED:
            raise EmailNotConfirmed()
        case DeveloperStatus.PENDING:
            raise AccountPendingApproval()
        case _:
            raise AccountDisabled()


async def _maybe_rehash(account: Account, password: str) -> None:
    if needs_rehash(account.password_hash):
        account.password_hash = await hash_password(password)


async def _issue_session(
    session: AsyncSession, settings: Settings, account: Account
) -> IssuedSession:
    token = new_token()
    expires_at = utcnow() + timedelta(seconds=settings.session_ttl_seconds)
    auth = AuthSession(token_hash=token_digest(token), expires_at=expires_at)
    if isinstance(account, Admin):
        auth.admin_id = account.id
    else:
        auth.developer_id = account.id
    session.add(auth)
    return IssuedSession(token=token, expires_at=expires_at, account=account)


# --- password reset ----------------------------------------------------------------------------


async def request_password_reset(*, session: AsyncSession, settings: Settings, email: str) -> None:
    """Mail a reset link if the address has an account; say nothing either way."""
    developer = await _developer_by_email(session, _login_email(email))
    if developer is None:
        return
    token = await _issue_email_token(
        session, developer, EmailTokenPurpose.RESET_PASSWORD, settings.password_reset_ttl_seconds
    )
    link = settings.link(f"/reset-password?token={token}")
    mail = templates.password_reset(full_name=developer.full_name, link=link)
    await _mail_unless_flooding(session, developer.email, mail)


async def reset_password(*, session: AsyncSession, token: str, password: str) -> None:
    """Set a new password and end every session of the account.

    The link proves the address is theirs, so an unconfirmed account is confirmed too.
    """
    check_password(password)
    developer = await _use_email_token(session, token, EmailTokenPurpose.RESET_PASSWORD)
    developer.password_hash = await hash_password(password)
    developer.updated_at = utcnow()
    await _end_sessions(session, developer)
    if developer.status == DeveloperStatus.UNCONFIRMED:
        await confirm_unconfirmed(session, developer)


async def confirm_unconfirmed(session: AsyncSession, developer: Developer) -> None:
    portal = await get_portal_settings(session)
    target = DeveloperStatus.APPROVED if portal.auto_approve_developers else DeveloperStatus.PENDING
    await _transition(session, developer.id, {DeveloperStatus.UNCONFIRMED}, target)


# --- admin decisions ---------------------------------------------------------------------------


async def approve_developer(
    *, session: AsyncSession, settings: Settings, admin: Admin, developer_id: int
) -> Developer:
    developer = await _transition(
        session,
        developer_id,
        {DeveloperStatus.PENDING, DeveloperStatus.REJECTED, DeveloperStatus.REVOKED},
        DeveloperStatus.APPROVED,
    )
    _mail_decision(session, settings, developer)
    return developer


async def reject_developer(
    *, session: AsyncSession, settings: Settings, admin: Admin, developer_id: int
) -> Developer:
    developer = await _transition(
        session, developer_id, {DeveloperStatus.PENDING}, DeveloperStatus.REJECTED
    )
    _mail_decision(session, settings, developer)
    return developer


async def revoke_developer(
    *, session: AsyncSession, settings: Settings, admin: Admin, developer_id: int
) -> Developer:
    """APPROVED -> REVOKED: their sessions end now; their data stays."""
    developer = await _transition(
        session, developer_id, {DeveloperStatus.APPROVED}, DeveloperStatus.REVOKED
    )
    await _end_sessions(session, developer)
    _mail_decision(session, settings, developer)
    return developer


async def _mail_unless_flooding(session: AsyncSession, to: str, mail: templates.Mail) -> None:
    """Mail that anyone can make us send (sign-up, reset) is capped per address."""
    if await throttle.exceeded(session, throttle.MAIL_TO_ADDRESS, to):
        log.info("not mailing %s (%s): too many such mails lately", to, mail.subject)
        return
    await throttle.hit(session, throttle.MAIL_TO_ADDRESS, to)
    enqueue(session, to=to, mail=mail)


def _mail_decision(session: AsyncSession, settings: Settings, developer: Developer) -> None:
    mail = templates.developer_decision(
        full_name=developer.full_name,
        decision=developer.status.value,
        login_link=settings.link("/login"),
    )
    enqueue(session, to=developer.email, mail=mail)


async def list_developers(
    *,
    session: AsyncSession,
    admin: Admin,
    status: DeveloperStatus | None,
    first: int | None,
    after: str | None,
) -> Page[Developer]:
    statement = sa.select(Developer)
    if status is not None:
        statement = statement.where(col(Developer.status) == status)
    return await paginate(session, statement, key=col(Developer.id), first=first, after=after)


async def get_developer(
    *, session: AsyncSession, viewer: Account | None, developer_id: int
) -> Developer | None:
    """A developer is visible to admins and to themselves only."""
    if isinstance(viewer, Developer):
        return viewer if viewer.id == developer_id else None
    if isinstance(viewer, Admin):
        return await session.get(Developer, developer_id)
    return None


async def get_admin(*, viewer: Account | None, admin_id: int) -> Admin | None:
    """Admins see only their own admin record."""
    if isinstance(viewer, Admin) and viewer.id == admin_id:
        return viewer
    return None


# --- admins --------------------------------------------------------------------------------------


async def create_admin(*, session: AsyncSession, email: str, password: str) -> Admin:
    email = normalize_email(email)
    check_password(password)
    if await session.scalar(sa.select(col(Admin.id)).where(col(Admin.email) == email)) is not None:
        raise Conflict("An admin with this email already exists.")
    admin = Admin(email=email, password_hash=await hash_password(password))
    session.add(admin)
    await session.flush()
    return admin


async def any_admin_exists(session: AsyncSession) -> bool:
    return await session.scalar(sa.select(col(Admin.id)).limit(1)) is not None


# --- helpers -------------------------------------------------------------------------------------


async def _developer_by_email(session: AsyncSession, email: str) -> Developer | None:
    return await session.scalar(sa.select(Developer).where(col(Developer.email) == email))


async def _transition(
    session: AsyncSession,
    developer_id: int | None,
    allowed_from: set[DeveloperStatus],
    target: DeveloperStatus,
) -> Developer:
    """Move a developer to ``target`` if, at this instant, they are in ``allowed_from``.

    A conditional update: of two admins deciding at once, exactly one wins.
    """
    now = utcnow()
    changed = await execute_update(
        session,
        sa.update(Developer)
        .where(col(Developer.id) == developer_id)
        .where(col(Developer.status).in_(allowed_from))
        .values(status=target, updated_at=now),
    )
    developer = await session.get(Developer, developer_id, populate_existing=True)
    if developer is None:
        raise NotFound("No such developer.")
    if not changed:
        raise Conflict(f"This developer is {developer.status.value}; that cannot change so.")
    assert developer.id is not None
    queue_event(
        session,
        DeveloperStatusChanged(
            developer_id=developer.id,
            status=target.value,
            at=now,
            email=developer.email,
            full_name=developer.full_name,
            organization=developer.organization,
            created_at=developer.created_at,
        ),
    )
    return developer


async def _end_sessions(session: AsyncSession, developer: Developer) -> None:
    await execute_update(
        session, sa.delete(AuthSession).where(col(AuthSession.developer_id) == developer.id)
    )
    queue_event(session, SessionsEnded(developer_id=developer.id))


async def _issue_email_token(
    session: AsyncSession, developer: Developer, purpose: EmailTokenPurpose, ttl_seconds: int
) -> str:
    assert developer.id is not None
    token = new_token()
    session.add(
        EmailToken(
            token_hash=token_digest(token),
            developer_id=developer.id,
            purpose=purpose,
            expires_at=utcnow() + timedelta(seconds=ttl_seconds),
        )
    )
    return token


async def _use_email_token(
    session: AsyncSession, token: str, purpose: EmailTokenPurpose
) -> Developer:
    """Spend a single-use email token, and with it every other link of its kind to the
    same account: once one has done its job, an older one must not do it again.

    One statement spends them all, so two links used at once neither deadlock nor
    both succeed: the second finds nothing left to spend.
    """
    now = utcnow()
    digest = token_digest(token)
    developer = await session.scalar(
        sa.select(Developer)
        .join(EmailToken, col(EmailToken.developer_id) == col(Developer.id))
        .where(col(EmailToken.token_hash) == digest)
        .where(col(EmailToken.purpose) == purpose)
        .where(col(EmailToken.used_at).is_(None))
        .where(col(EmailToken.expires_at) > now)
    )
    if developer is None:
        raise InvalidToken()
    spent = await session.scalars(
        sa.update(EmailToken)
        .where(col(EmailToken.developer_id) == developer.id)
        .where(col(EmailToken.purpose) == purpose)
        .where(col(EmailToken.used_at).is_(None))
        .values(used_at=now)
        .returning(col(EmailToken.token_hash))
    )
    if digest not in set(spent):
        raise InvalidToken()  # spent by a simultaneous use of this or another link
    return developer
