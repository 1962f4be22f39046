"""How the gateway check compares with the cheapest request that touches the database.

Starts ``devportal serve`` on a fresh SQLite database (or DEVPORTAL_DATABASE_URL),
sets up a service, an approved application and a key, then times sequential
requests over one keep-alive connection: ``/healthz`` (one ``SELECT 1``) as the
baseline, and ``/gateway/verify`` allowed, denied (403) and with a bad key (401).

    .venv/bin/python benchmarks/gateway.py [--requests 2000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.flows import Catalog, Portal  # noqa: E402
from tests.servers import ServerProcess  # noqa: E402
from tests.support import Api, SmtpServer, free_port  # noqa: E402

ADMIN = ("bench-admin@portal.test", "bench-admin-password")


Case = tuple[str, dict[str, str], int]


def per_request(client: httpx2.Client, cases: dict[str, Case], n: int) -> dict[str, float]:
    """Median seconds per request for each case: rounds of 100 requests per case,
    the cases taking turns, so drift on a noisy machine hits them all alike."""
    batches: dict[str, list[float]] = {label: [] for label in cases}
    for _ in range(max(1, n // 100)):
        for label, (path, headers, status) in cases.items():
            start = time.perf_counter()
            for _ in range(100):
                assert client.get(path, headers=headers).status_code == status
            batches[label].append((time.perf_counter() - start) / 100)
    return {label: statistics.median(times) for label, times in batches.items()}


def main(requests: int) -> None:
    smtp = SmtpServer(free_port()).start()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "DEVPORTAL_DATABASE_URL": os.environ.get(
                "DEVPORTAL_DATABASE_URL", f"sqlite+aiosqlite:///{tmp}/bench.db"
            ),
            "DEVPORTAL_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
            "DEVPORTAL_BOOTSTRAP_ADMIN_EMAIL": ADMIN[0],
            "DEVPORTAL_BOOTSTRAP_ADMIN_PASSWORD": ADMIN[1],
            "DEVPORTAL_LOG_LEVEL": "WARNING",
        }
        server = ServerProcess(env, cwd=ROOT)
        try:
            with httpx2.Client(base_url=server.url, timeout=30) as client:
                portal = Portal(
                    Api(client), smtp.inbox, admin_email=ADMIN[0], admin_password=ADMIN[1]
                )
                catalog = Catalog(portal)
                open_version = catalog.service("weather")
                catalog.service("maps")
                dev = portal.developer("bench@portal.test")
                key = catalog.approved_key(dev.token, open_version)
                good, bad = {"apikey": key.key}, {"apikey": "dpk_not-a-key"}
                cases: dict[str, Case] = {
                    "/healthz (baseline)": ("/healthz", {}, 200),
                    "verify: allowed (200)": ("/gateway/verify/weather/v1", good, 200),
                    "verify: not registered (403)": ("/gateway/verify/maps/v1", good, 403),
                    "verify: bad key (401)": ("/gateway/verify/weather/v1", bad, 401),
                }
                per_request(client, cases, 100)  # warm up (and record lastUsedAt once)
                results = per_request(client, cases, requests)
        finally:
            server.stop()
            smtp.stop()
    base = results["/healthz (baseline)"]
    print(f"{requests} sequential requests each, one keep-alive connection, median of batches:")
    for label, seconds in results.items():
        print(f"  {label:<30} {seconds * 1e6:8.0f} µs  ({seconds / base:4.2f}x baseline)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    main(parser.parse_args().requests)
