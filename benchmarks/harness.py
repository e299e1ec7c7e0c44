"""What every benchmark shares: timed child processes with their peak memory, and result rows.

Crawls run as child processes (a Twisted reactor starts once per process), timed from outside
and measured with ``os.wait4`` so each run's own peak RSS is known, not the largest of all.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Run:
    """One child process: wall seconds, peak resident memory, and what it printed."""

    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def run_child(args: list[str], cwd: Path = REPO, env: dict[str, str] | None = None) -> Run:
    """Run ``python args…`` to the end; raise with its stderr if it fails."""
    started = time.monotonic()
    with (
        open(os.devnull, "rb") as stdin,
        subprocess.Popen(
            [sys.executable, *args],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        ) as child,
    ):
        # Read the pipes in threads via communicate() would reap the child before wait4 can;
        # so drain them ourselves and reap with wait4 for this child's own rusage.
        out, err = _drain(child)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    run = Run(
        seconds=time.monotonic() - started,
        peak_rss_mb=usage.ru_maxrss / 1024,  # Linux reports KiB
        returncode=child.returncode,
        stdout=out,
        stderr=err,
    )
    if run.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)} failed ({run.returncode}):\n{err[-3000:]}")
    return run


def _drain(child: subprocess.Popen) -> tuple[str, str]:
    import threading

    chunks: dict[str, bytes] = {}

    def read(name: str, stream) -> None:
        chunks[name] = stream.read()

    threads = [
        threading.Thread(target=read, args=("out", child.stdout)),
        threading.Thread(target=read, args=("err", child.stderr)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return (
        chunks["out"].decode("utf-8", "replace"),
        chunks["err"].decode("utf-8", "replace"),
    )


@dataclass(frozen=True)
class Row:
    """One line of the results table: our figure, the baseline's, their ratio and the goal."""

    benchmark: str
    metric: str
    ours: float
    baseline: float | None
    baseline_name: str
    ratio: float | None
    goal: str
    met: bool | None
    unit: str = ""


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
