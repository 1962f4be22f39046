"""A small HTTP/1.1 load generator, for machines without wrk.

    python -m benchmarks.loadgen URL REQUEST.json [--connections 32] [--seconds 5]

Holds keep-alive connections, each sending the request again as soon as the
answer is in (as wrk does), and prints the same result line as benchmarks/wrk.lua.
Answers must carry a Content-Length (Starlette's and uvicorn's do).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import uvloop  # uvicorn[standard] brings it

from benchmarks.load import MARKER


def requests(url: str, spec: dict[str, Any]) -> Callable[[], bytes]:
    """The bytes of the next request: always the same, or with ``vary_header`` counting up."""
    parts = urlsplit(url)
    body = str(spec["body"]).encode()
    headers = {"Host": parts.netloc, **spec["headers"]}
    if body:
        headers["Content-Length"] = str(len(body))
    counter = itertools.count(1)

    def build() -> bytes:
        lines = dict(headers)
        if spec["vary_header"]:
            lines[spec["vary_header"]] += str(next(counter))
        head = f"{spec['method']} {parts.path or '/'} HTTP/1.1\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in lines.items()
        )
        return head.encode() + b"\r\n" + body

    if not spec["vary_header"]:
        fixed = build()
        return lambda: fixed
    return build


class Tally:
    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.socket_errors = 0


async def connection(host: str, port: int, request: Callable[[], bytes], tally: Tally) -> None:
    """Send requests one after the other until the deadline."""
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        tally.socket_errors += 1
        return
    try:
        while time.perf_counter() < tally.deadline:
            start = time.perf_counter()
            writer.write(request())
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            fields = dict(line.lower().split(":", 1) for line in head[1:] if ":" in line)
            await reader.readexactly(int(fields["content-length"]))
            tally.latencies.append(time.perf_counter() - start)
            tally.statuses[int(head[0].split()[1])] += 1
    except (OSError, asyncio.IncompleteReadError, KeyError, ValueError):
        tally.socket_errors += 1
    finally:
        writer.close()


async def main(url: str, spec: dict[str, Any], connections: int, seconds: int) -> None:
    parts = urlsplit(url)
    request = requests(url, spec)
    start = time.perf_counter()
    tally = Tally(start + seconds)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    await asyncio.gather(*(connection(host, port, request, tally) for _ in range(connections)))
    elapsed = time.perf_counter() - start
    cuts = statistics.quantiles(tally.latencies, n=100) if len(tally.latencies) > 1 else None
    result = {
        "requests": len(tally.latencies),
        "duration_us": round(elapsed * 1e6),
        "p50_us": round(cuts[49] * 1e6) if cuts else 0,
        "p99_us": round(cuts[98] * 1e6) if cuts else 0,
        "socket_errors": tally.socket_errors,
        "statuses": {str(status): n for status, n in tally.statuses.items()},
    }
    print(MARKER + json.dumps(result))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("request", type=Path)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=5)
    args = parser.parse_args()
    spec = json.loads(args.request.read_text())
    uvloop.run(main(args.url, spec, args.connections, args.seconds))
