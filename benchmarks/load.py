"""HTTP load: wrk with a Lua script, or a Python load generator where wrk is missing.

Both run as a child process, hold ``connections`` keep-alive connections for
``seconds``, send the same request over and over, and report the same numbers:
requests, latency percentiles, socket errors and the count of each status.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx2

MARKER = "BENCH-RESULT "
ONCE_TIMEOUT = 300.0  # seconds: a server still busy with a slow run's last requests
LUA = Path(__file__).with_name("wrk.lua")


@dataclass(frozen=True)
class Request:
    """One request, sent again and again, and the status every answer must have."""

    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    expect: int = 200
    vary_header: str = ""  # a header whose value gets a new suffix in each request


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    socket_errors: int
    statuses: dict[int, int]
    expect: int

    @property
    def rate(self) -> float:
        """Requests a second."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def unexpected(self) -> int:
        """Socket errors, time-outs and answers with another status than expected."""
        others = sum(n for status, n in self.statuses.items() if status != self.expect)
        return self.socket_errors + others


def tool(preference: str = "auto") -> str:
    """``wrk`` when it is installed (or asked for), else ``python``."""
    if preference == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    return preference


def run(base_url: str, request: Request, *, connections: int, seconds: int, using: str) -> Result:
    """Load ``base_url + request.path`` and return what the load generator measured."""
    with tempfile.TemporaryDirectory(prefix="devportal-bench-") as tmp:
        url = base_url + request.path
        if using == "wrk":
            spec = Path(tmp) / "request.lua"
            spec.write_text(lua_table(request))
            command = [
                "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
                "-s", str(LUA), url, "--", str(spec),
            ]  # fmt: skip
        else:
            spec = Path(tmp) / "request.json"
            spec.write_text(json.dumps(request.__dict__))
            command = [
                sys.executable, "-m", "benchmarks.loadgen", url, str(spec),
                "--connections", str(connections), "--seconds", str(seconds),
            ]  # fmt: skip
        done = subprocess.run(  # noqa: S603 - our own command line
            command,
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=False,
            cwd=Path(__file__).resolve().parent.parent,
        )
    return _parse(done, request.expect)


def combined(rounds: list[Result]) -> Result:
    """Rounds as one: all their requests over all their time; the median round's p50 and p99."""
    statuses: Counter[int] = Counter()
    for result in rounds:
        statuses.update(result.statuses)
    return Result(
        requests=sum(r.requests for r in rounds),
        seconds=sum(r.seconds for r in rounds),
        p50_ms=statistics.median(r.p50_ms for r in rounds),
        p99_ms=statistics.median(r.p99_ms for r in rounds),
        socket_errors=sum(r.socket_errors for r in rounds),
        statuses=dict(statuses),
        expect=rounds[0].expect,
    )


def once(base_url: str, request: Request) -> float:
    """Seconds one request takes alone, once what the server still had in hand is done
    (a request sent after those finishes about when they do)."""
    with httpx2.Client(base_url=base_url, timeout=ONCE_TIMEOUT) as client:
        start = time.perf_counter()
        response = client.request(
            request.method, request.path, headers=request.headers, content=request.body or None
        )
        elapsed = time.perf_counter() - start
    if response.status_code != request.expect:
        raise RuntimeError(f"{request.path}: {response.status_code}, not {request.expect}")
    return elapsed


def lua_table(request: Request) -> str:
    """The request as a Lua chunk for wrk.lua, which ``dofile``s it."""
    headers = ", ".join(
        f"[{_lua_string(name)}] = {_lua_string(value)}" for name, value in request.headers.items()
    )
    return (
        f"return {{ method = {_lua_string(request.method)}, body = {_lua_string(request.body)},"
        f" headers = {{ {headers} }}, vary_header = {_lua_string(request.vary_header)} }}\n"
    )


def _lua_string(text: str) -> str:
    """A quoted Lua string: printable ASCII as is, every other byte as ``\\ddd``."""
    escaped = "".join(
        chr(byte) if 32 <= byte < 127 and chr(byte) not in '"\\' else f"\\{byte:03d}"
        for byte in text.encode()
    )
    return f'"{escaped}"'


def _parse(done: subprocess.CompletedProcess[str], expect: int) -> Result:
    for line in done.stdout.splitlines():
        if line.startswith(MARKER):
            found = json.loads(line.removeprefix(MARKER))
            return Result(
                requests=found["requests"],
                seconds=found["duration_us"] / 1e6,
                p50_ms=found["p50_us"] / 1e3,
                p99_ms=found["p99_us"] / 1e3,
                socket_errors=found["socket_errors"],
                statuses={int(status): n for status, n in found["statuses"].items()},
                expect=expect,
            )
    raise RuntimeError(f"the load generator printed no result:\n{done.stdout}\n{done.stderr}")
