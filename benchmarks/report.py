"""The table ``make bench`` ends with, in Markdown, and the machine it was made on."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path

from benchmarks.load import Result
from benchmarks.subscriptions import Memory, SubscriberResult
from benchmarks.workloads import Workload


@dataclass(frozen=True)
class Row:
    workload: str
    devportal: str
    baseline: str
    ratio: str
    target: str


def load_row(workload: Workload, ours: Result, theirs: Result, baseline_title: str = "") -> Row:
    """Throughput ratio: devportal's requests a second over the baseline's."""
    ratio = ours.rate / theirs.rate if theirs.rate else 0.0
    return Row(
        workload.title,
        _load(ours),
        f"{baseline_title or workload.baseline_title}: {_load(theirs)}",
        f"{ratio:.2f}",
        workload.target,
    )


def subscriber_rows(result: SubscriberResult) -> list[Row]:
    """Latency ratio: the bare fan-out's p99 over devportal's."""
    many, bare = result.many, result.bare
    return [
        Row(
            f"one event to {many.subscribers:,} subscribers ({many.connections:,} WebSockets)",
            f"p50 {_ms(many.p50)}, p99 {_ms(many.p99)}, last {_ms(many.latencies[-1])}",
            f"bare fan-out, same client: p50 {_ms(bare.p50)}, p99 {_ms(bare.p99)}; "
            f"1 subscriber alone: {_ms(result.alone.p50)}",
            f"{bare.p99 / many.p99:.2f}" if many.p99 else "-",
            "p99 ≤ 1 s",
        ),
        Row(
            "memory per idle subscriber (server RSS)",
            _memory(result.memory),
            f"bare fan-out: {_memory(result.bare_memory)}",
            f"{result.bare_memory.kib_per_subscriber / result.memory.kib_per_subscriber:.2f}"
            if result.memory.kib_per_subscriber > 0
            else "-",
            "-",
        ),
    ]


def table(rows: list[Row]) -> str:
    lines = [
        "| workload | devportal | baseline | ratio | target |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {r.workload} | {r.devportal} | {r.baseline} | {r.ratio} | {r.target} |" for r in rows
    ]
    return "\n".join(lines)


def machine() -> str:
    """nproc, the CPU model, Python, and the commit measured."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    cpus = len(os.sched_getaffinity(0))
    return f"{cpus} CPUs ({model}), Python {platform.python_version()}, commit {_commit()}"


def _commit() -> str:
    root = Path(__file__).resolve().parent.parent
    found = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "devportal"],  # noqa: S607
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
    )
    commit = found.stdout.strip() or "unknown"
    return commit + (" + uncommitted changes in devportal/" if dirty.stdout.strip() else "")


def _load(result: Result) -> str:
    return f"{result.rate:,.0f} req/s, p50 {result.p50_ms:,.1f} ms, p99 {result.p99_ms:,.1f} ms"


def _memory(memory: Memory) -> str:
    return (
        f"{memory.kib_per_subscriber:.0f} KiB "
        f"({memory.before_kib / 1024:.0f} → {memory.after_kib / 1024:.0f} MiB)"
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"
