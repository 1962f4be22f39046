"""Serving ``/metrics`` on a port of its own, from the ``devportal serve`` process.

Not on the application's port: a gateway that forwards ``/*`` to devportal (or
a path a proxy rule catches by mistake) would publish it. Here it is only where
``DEVPORTAL_METRICS`` says, ``127.0.0.1`` unless told otherwise.

With several workers, prometheus-client's multi-process mode: each worker writes
its values to files in ``PROMETHEUS_MULTIPROC_DIR``, which must be set before
prometheus-client is first imported, empty at start, and is ours alone; so
``prepare`` makes a fresh directory before anything imports it, and ``serve``
adds the files up on each scrape. prometheus-client is imported only here and in
``devportal.metrics``, after ``prepare``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"


@contextmanager
def serving(address: tuple[str, int] | None, workers: int) -> Iterator[None]:
    """Serve ``/metrics`` at ``address`` (if any) for the block's length."""
    directory = None
    os.environ.pop(MULTIPROC_DIR, None)  # one left over from elsewhere is not ours to add up
    if address is not None and workers > 1:
        directory = tempfile.mkdtemp(prefix="devportal-metrics-")
        os.environ[MULTIPROC_DIR] = directory
    try:
        if address is None:
            yield
            return
        from prometheus_client import REGISTRY, CollectorRegistry, start_http_server
        from prometheus_client.multiprocess import MultiProcessCollector

        registry = REGISTRY
        if directory is not None:
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        host, port = address
        server, thread = start_http_server(port, host, registry)
        try:
            yield
        finally:
            server.shutdown()
            server.server_close()
            thread.join()
    finally:
        if directory is not None:
            os.environ.pop(MULTIPROC_DIR, None)
            shutil.rmtree(directory, ignore_errors=True)
