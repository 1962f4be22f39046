"""The processes a benchmark starts, and what they need from the machine."""

from __future__ import annotations

import asyncio
import os
import queue
import re
import resource
import signal
import subprocess
import sys
import threading
from pathlib import Path

from tests.conftest import _reset_postgres
from tests.support import free_port

ROOT = Path(__file__).resolve().parent.parent
# Each worker's app has started; the socket is bound (after start-up, with one worker).
STARTED, LISTENING = "Application startup complete", "Uvicorn running on"
START_TIMEOUT = 120.0  # seconds: migrations on a cold machine, never a sleep
STOP_TIMEOUT = 60.0  # seconds: closing thousands of WebSockets


class Process:
    """A server child process (``python -m MODULE ARGS --port N``), ready once its
    socket is bound and its ``workers`` uvicorn workers have started.

    Like tests/servers.py's ServerProcess, but for any command, with its pid, and
    with uvicorn's access log (stdout) thrown away unread: under load it is
    thousands of lines a second that the benchmark must not pay for.
    """

    def __init__(self, module: str, args: list[str], env: dict[str, str], workers: int = 1) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log: list[str] = []
        self._lines: queue.Queue[str] = queue.Queue()
        self._process = subprocess.Popen(  # noqa: S603 - our own command line
            [sys.executable, "-m", module, *args, "--port", str(self.port)],
            env={**os.environ, **env},
            cwd=ROOT,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            self._wait_ready(workers)
        except BaseException:
            self._process.kill()
            raise

    def _wait_ready(self, workers: int) -> None:
        started = listening = 0
        while started < workers or not listening:
            line = self.wait_for_line(f"{STARTED}|{LISTENING}", timeout=START_TIMEOUT)
            started += STARTED in line
            listening += LISTENING in line

    def _read(self) -> None:
        assert self._process.stderr is not None
        for line in self._process.stderr:
            self._lines.put(line)
        self._lines.put("")  # the end: the process closed its log

    def wait_for_line(self, pattern: str, timeout: float) -> str:
        """Block until the process logs a line matching ``pattern``."""
        wanted = re.compile(pattern)
        while True:
            try:
                line = self._lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no line like {pattern!r} in:\n{''.join(self.log)}") from None
            if not line:
                raise AssertionError(f"exited before {pattern!r}:\n{''.join(self.log)}")
            self.log.append(line)
            if wanted.search(line):
                return line

    def stop(self) -> None:
        """SIGTERM, then a clean exit (uvicorn re-raises the signal once shut down).

        Stopping a stopped process does nothing."""
        if self._process.returncode is not None:
            return
        self._process.terminate()
        code = self._process.wait(STOP_TIMEOUT)
        self._reader.join(STOP_TIMEOUT)
        assert self._process.stderr is not None
        self._process.stderr.close()
        assert code in (0, -signal.SIGTERM), "".join(self.log)

    @property
    def pid(self) -> int:
        return self._process.pid

    def rss_kib(self) -> int:
        """Resident memory of the server process now (VmRSS in /proc/PID/status)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError(f"no VmRSS for process {self.pid}")


def allow_open_files(needed: int) -> int:
    """Raise this process's open-file limit to ``needed`` (children inherit it).

    The soft limit goes up to the hard one; the hard one only as root. Returns
    the limit now in force, so the caller can say what it could not get.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, max(hard, needed)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def reset_postgres(url: str) -> None:
    """Drop and recreate the ``public`` schema, as the test suite does."""
    asyncio.run(_reset_postgres(url))
