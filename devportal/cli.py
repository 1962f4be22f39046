"""The ``devportal`` command: serve, migrate, create-admin, demo."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import logging.config
import os
import sys

import uvicorn
from pydantic import ValidationError

from devportal import exposition, migrate
from devportal.errors import DomainError
from devportal.logs import TEXT_FORMAT, logging_config
from devportal.settings import Settings


def serve(args: argparse.Namespace) -> int:
    if args.spa is not None:
        # Through the environment: each worker builds its app from it.
        os.environ["DEVPORTAL_SPA_DIR"] = os.path.abspath(args.spa)
    settings = Settings()
    # Before anything imports prometheus-client: its multi-process mode is set up here.
    with exposition.serving(settings.metrics_address, args.workers):
        return _serve(args, settings)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    problem = _serving_problem(settings, args.workers)
    if problem:
        print(f"devportal serve: {problem}", file=sys.stderr)
        return 2
    log_config = logging_config(settings.log_level.upper(), settings.log_format)
    logging.config.dictConfig(log_config)  # migrations log as the server will
    migrate.upgrade(settings.database_url)
    uvicorn.run(
        "devportal.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=log_config,
        proxy_headers=True,
        ws="websockets-sansio",
        # The same bound as request bodies (the app checks too, behind any server).
        ws_max_size=settings.max_body_bytes,
        # Ping frames keep both subscription protocols alive and drop dead peers;
        # graphql-ws also gets its own "ka" messages from Strawberry.
        ws_ping_interval=settings.websocket_keep_alive_seconds,
        ws_ping_timeout=settings.websocket_keep_alive_seconds,
        # On SIGTERM: requests in flight get this long to finish, then are cancelled.
        timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
        # Events are small JSON: compressing each copy for each socket cost more CPU than
        # it saved bytes, and every connection held its zlib state while idle.
        ws_per_message_deflate=False,
    )
    return 0


def _serving_problem(settings: Settings, workers: int) -> str | None:
    """What in the settings would make the server fail or misbehave, said before it starts."""
    from devportal.resolvers import accounts

    if workers > 1 and settings.is_sqlite:
        return (
            "several workers need PostgreSQL (DEVPORTAL_DATABASE_URL); on SQLite, live "
            "updates would reach only the subscribers of the worker that made the change."
        )
    if settings.spa_dir is not None and not (settings.spa_dir / "index.html").is_file():
        return f"DEVPORTAL_SPA_DIR: no index.html in {settings.spa_dir}"
    email, password = settings.bootstrap_admin_email, settings.bootstrap_admin_password
    try:
        if email is not None:
            accounts.normalize_email(email)
        if password is not None:
            accounts.check_password(password.get_secret_value())
    except DomainError as error:
        return f"DEVPORTAL_BOOTSTRAP_ADMIN_EMAIL/_PASSWORD: {error.message}"
    return None


def run_migrations(args: argparse.Namespace) -> int:
    migrate.upgrade(Settings().database_url)
    return 0


def create_admin(args: argparse.Namespace) -> int:
    from devportal.db import Database
    from devportal.resolvers import accounts

    async def _create(database_url: str, email: str, password: str) -> None:
        db = Database(database_url)
        try:
            async with db.transaction() as session:
                await accounts.create_admin(session=session, email=email, password=password)
        finally:
            await db.dispose()

    try:
        # Refuse bad input before touching the database (the email before the prompt).
        email = accounts.normalize_email(args.email)
        password = os.environ.get("DEVPORTAL_ADMIN_PASSWORD") or _prompt_password()
        accounts.check_password(password)
        settings = Settings()
        # A one-shot command: its answer is one line, not Alembic's progress report.
        logging.getLogger("alembic").setLevel(logging.WARNING)
        migrate.upgrade(settings.database_url)
        asyncio.run(_create(settings.database_url, email, password))
    except DomainError as error:
        print(f"devportal create-admin: {error.message}", file=sys.stderr)
        return 1
    print(f"Admin {email} created.")
    return 0


def rotate_signing_key(args: argparse.Namespace) -> int:
    """A new key signs access tokens from now on; the previous one stays in the JWKS."""
    from datetime import timedelta

    from devportal.db import Database
    from devportal.resolvers.signing_keys import rotate

    settings = Settings()
    passphrase = settings.signing_key_passphrase

    async def _rotate() -> str:
        db = Database(settings.database_url)
        try:
            async with db.transaction() as session:
                return await rotate(
                    session,
                    passphrase=passphrase.get_secret_value() if passphrase else None,
                    token_ttl=timedelta(seconds=settings.access_token_ttl_seconds),
                )
        finally:
            await db.dispose()

    logging.getLogger("alembic").setLevel(logging.WARNING)
    migrate.upgrade(settings.database_url)
    print(f"Signing key {asyncio.run(_rotate())} is now current.")
    return 0


def demo(args: argparse.Namespace) -> int:
    from devportal import demo as demo_portal
    from devportal.db import Database
    from devportal.resolvers import accounts

    async def _seed(settings: Settings, admin_password: str | None) -> demo_portal.DemoPortal:
        db = Database(settings.database_url)
        try:
            return await demo_portal.seed(settings=settings, db=db, admin_password=admin_password)
        finally:
            await db.dispose()

    try:
        admin_password = os.environ.get("DEVPORTAL_ADMIN_PASSWORD") or None
        if admin_password is not None:
            accounts.check_password(admin_password)
        settings = Settings()
        logging.getLogger("alembic").setLevel(logging.WARNING)
        migrate.upgrade(settings.database_url)
        made = asyncio.run(_seed(settings, admin_password))
    except DomainError as error:
        print(f"devportal demo: {error.message}", file=sys.stderr)
        return 1
    print(made.summary())
    return 0


def _prompt_password() -> str:
    password = getpass.getpass("Password for the new admin (at least 12 characters): ")
    if getpass.getpass("Again: ") != password:
        raise SystemExit("devportal create-admin: the passwords differ.")
    return password


def print_schema(args: argparse.Namespace) -> int:
    from devportal.schema import sdl

    sys.stdout.write(sdl())
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="devportal", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    serve_cmd = commands.add_parser("serve", help="apply migrations and serve the portal")
    serve_cmd.add_argument("--host", default="127.0.0.1")
    serve_cmd.add_argument("--port", type=int, default=8000)
    serve_cmd.add_argument("--workers", type=int, default=1)
    serve_cmd.add_argument(
        "--spa",
        metavar="DIR",
        help="also serve this single-page app at / (examples/spa is one; DEVPORTAL_SPA_DIR)",
    )
    serve_cmd.set_defaults(run=serve)

    migrate_cmd = commands.add_parser("migrate", help="apply database migrations, then exit")
    migrate_cmd.set_defaults(run=run_migrations)

    admin_cmd = commands.add_parser(
        "create-admin",
        help="create an admin (password from a prompt or DEVPORTAL_ADMIN_PASSWORD)",
    )
    admin_cmd.add_argument("email")
    admin_cmd.set_defaults(run=create_admin)

    demo_cmd = commands.add_parser(
        "demo",
        help="fill an empty database with a demo portal and print its log-ins "
        "(admin password from DEVPORTAL_ADMIN_PASSWORD, or generated)",
    )
    demo_cmd.set_defaults(run=demo)
    rotate_cmd = commands.add_parser(
        "rotate-signing-key",
        help="sign access tokens with a new key; the previous one stays published",
    )
    rotate_cmd.set_defaults(run=rotate_signing_key)
    schema_cmd = commands.add_parser("schema", help="print the GraphQL schema (SDL)")
    schema_cmd.set_defaults(run=print_schema)
    return root


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format=TEXT_FORMAT)
    args = parser().parse_args(argv)
    try:
        result: int = args.run(args)
    except ValidationError as error:
        if error.title != Settings.__name__:
            raise
        print(f"devportal {args.command}: {settings_problem(error)}", file=sys.stderr)
        return 2
    return result


def settings_problem(error: ValidationError) -> str:
    """A setting refused, in one line per setting, named as the environment spells it."""
    return "; ".join(
        f"DEVPORTAL_{'_'.join(map(str, problem['loc'])).upper()}: "
        + problem["msg"].removeprefix("Value error, ")
        for problem in error.errors()
    )


if __name__ == "__main__":
    sys.exit(main())
