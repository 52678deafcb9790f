"""Servers that benchmarks start in their own process (so they do not share the measured GIL)."""

from __future__ import annotations

import subprocess
import sys


def start_listening(args: list[str], prefix: str) -> tuple[subprocess.Popen[str], str]:
    """Run ``python <args>`` and wait for its first stdout line ``<prefix><url>``.

    Returns the process and the URL; kills the process and raises if the line is not that.
    """
    process = subprocess.Popen(
        [sys.executable, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith(prefix):
        process.kill()
        raise RuntimeError(f"{' '.join(args)} did not start: {line!r}")
    return process, line[len(prefix) :].strip()
