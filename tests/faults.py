"""Fault injection for tests: a PostgreSQL server of a test's own to stop and start, a
``devportal serve`` process to SIGKILL, SQL on the database behind, and counters that
client threads bump and the test waits on."""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from tests.servers import ServerProcess
from tests.support import WAIT, free_port


def postgres_binaries() -> Path | None:
    """The directory of ``initdb`` and ``pg_ctl``: Debian's newest, or the PATH's."""
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if debian:
        return debian[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


class PostgresCluster:
    """A PostgreSQL server in a temporary directory, on a free port, for one test only:
    stopping it disturbs nobody else's database.

    PostgreSQL refuses to run as root: as root, it runs as the ``postgres`` user.
    """

    def __init__(self) -> None:
        bindir = postgres_binaries()
        if bindir is None:
            pytest.skip("PostgreSQL's initdb and pg_ctl are not installed")
        self._bindir = bindir
        self._as: list[str] = []
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                runuser = None
            if runuser is None:
                pytest.skip("running as root, without a postgres user to run PostgreSQL as")
            self._as = [runuser, "-u", "postgres", "--"]
        self._dir = Path(tempfile.mkdtemp(prefix="devportal-pg-"))
        if self._as:
            shutil.chown(self._dir, "postgres")
        self.port = free_port()
        self.url = f"postgresql+asyncpg://devportal@127.0.0.1:{self.port}/postgres"
        try:
            self._run("initdb", "-D", self._data, "-U", "devportal", "--auth=trust", "--no-sync")
        except BaseException:
            shutil.rmtree(self._dir, ignore_errors=True)
            raise

    @property
    def _data(self) -> str:
        return str(self._dir / "data")

    def _run(self, program: str, *args: str) -> None:
        command = [*self._as, str(self._bindir / program), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=WAIT * 3)
        assert done.returncode == 0, f"{program} failed:\n{done.stdout}{done.stderr}"

    def start(self) -> None:
        """Start, and return once it accepts connections."""
        options = f"-p {self.port} -k {self._dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self._dir / "log")
        self._run("pg_ctl", "-D", self._data, "-l", log, "-o", options, "-w", "-t", "30", "start")

    def stop(self, mode: str = "immediate") -> None:
        """Stop; ``immediate`` as a crash would (no checkpoint, clients cut at once)."""
        self._run("pg_ctl", "-D", self._data, "-m", mode, "-w", "-t", "30", "stop")

    def remove(self) -> None:
        if (self._dir / "data" / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)


class KillableServer(ServerProcess):
    """``devportal serve`` that a test may end as a crash would."""

    def kill(self) -> None:
        """SIGKILL: no shutdown, no transaction finished, nothing flushed."""
        process: subprocess.Popen[str] = self._process
        process.send_signal(signal.SIGKILL)
        assert process.wait(WAIT) == -signal.SIGKILL
        self._reader.join(WAIT)
        assert process.stdout is not None
        process.stdout.close()

    def close(self) -> None:
        """Stop it, unless it is stopped already (a test that failed before its kill)."""
        if self._process.poll() is None:
            self.stop()


def sql(url: str, statement: str, **parameters: Any) -> list[Any]:
    """Every row of one statement, on a connection of its own (the server's pool is
    not involved, so what it shows is what was committed)."""

    async def run() -> list[Any]:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as connection:
                result = await connection.execute(sa.text(statement), parameters)
                return list(result.all()) if result.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(run())


class Tally:
    """Outcomes that client threads count, by name; a test waits until enough happened."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._changed = threading.Condition()

    def add(self, outcome: str) -> None:
        with self._changed:
            self._counts[outcome] += 1
            self._changed.notify_all()

    def __getitem__(self, outcome: str) -> int:
        with self._changed:
            return self._counts[outcome]

    def counts(self) -> Counter[str]:
        with self._changed:
            return Counter(self._counts)

    def wait_until(self, done: Callable[[Counter[str]], bool], timeout: float = WAIT) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: done(self._counts), timeout):
                raise AssertionError(f"gave up waiting after {timeout} s; so far {self._counts}")


def what_was_written(url: str) -> dict[str, Counter[str]]:
    """Applications, registrations, approvals and the mail about them, by application name."""
    registrations = sql(
        url,
        "SELECT a.name, r.status FROM registration r JOIN application a ON a.id = r.application_id",
    )
    subjects = [subject for (subject,) in sql(url, "SELECT subject FROM outbox_message")]
    requested = "Access request: "  # "Access request: w0-0001 for Weather v1"
    decided = ": access to "  # "w0-0001: access to Weather v1 approved"
    return {
        "application": Counter(name for (name,) in sql(url, "SELECT name FROM application")),
        "registration": Counter(name for name, _ in registrations),
        "approval": Counter(name for name, status in registrations if status == "APPROVED"),
        "access request mail": Counter(
            s.removeprefix(requested).rsplit(" for ", 1)[0]
            for s in subjects
            if s.startswith(requested)
        ),
        "approval mail": Counter(
            s.rsplit(decided, 1)[0] for s in subjects if decided in s and s.endswith(" approved")
        ),
    }


def assert_written_whole(url: str, acknowledged: list[tuple[str, str]]) -> None:
    """What the server acknowledged is written, and what was cut short is written whole
    or not at all: each registration with its access-request mail (to the one admin),
    each approval with its mail to the developer, and no mail about anything not written."""
    written = what_was_written(url)
    missing = [(what, name) for what, name in acknowledged if name not in written[what]]
    assert not missing, f"acknowledged, yet not written: {missing}"
    assert written["access request mail"] == written["registration"]
    assert written["approval mail"] == written["approval"]
