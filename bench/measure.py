"""Run sgupdater in this process, then record its peak RSS: `measure.py OUT.json -- ARGS`.

With worker processes the figure is the sum of every process's own peak (an upper bound of
what the run held at once).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

from sgupdater.cli.app import main


def _peak_kib(pid: int | str) -> int:
    # NOTE: not getrusage's ru_maxrss: Linux carries the parent's peak across fork and exec, so
    # it would report the benchmark driver's memory. VmHWM is this process image's own peak.
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in lines if line.startswith("VmHWM:")), 0)


def _children(pid: int) -> list[str]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += (task / "children").read_text().split()
        except OSError:
            continue
    return found


def _watch(peaks: dict[str, int], stop: threading.Event) -> None:
    # A worker's /proc entry is gone once it ends: its peak is kept as last seen.
    while not stop.wait(0.05):
        for child in _children(os.getpid()):
            peaks[child] = max(peaks.get(child, 0), _peak_kib(child))


if __name__ == "__main__":
    out, _, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    peaks: dict[str, int] = {}
    stop = threading.Event()
    watcher = threading.Thread(target=_watch, args=(peaks, stop), daemon=True)
    watcher.start()
    status = main(args)
    stop.set()
    watcher.join()
    own = _peak_kib("self")
    total = own + sum(peaks.values())
    with open(out, "w") as f:
        json.dump(
            {
                "status": status,
                "peak_rss_mib": total / 1024,
                "processes": 1 + len(peaks),
                "parent_peak_rss_mib": own / 1024,
            },
            f,
        )
    sys.exit(status)
