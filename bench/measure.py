"""Run sgupdater in this process, then record its peak RSS: `measure.py OUT.json -- ARGS`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sgupdater.cli import main

if __name__ == "__main__":
    out, _, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    status = main(args)
    # NOTE: not getrusage's ru_maxrss: Linux carries the parent's peak across fork and exec, so
    # it would report the benchmark driver's memory. VmHWM is this process image's own peak.
    status_lines = Path("/proc/self/status").read_text().splitlines()
    peak_kib = next(int(line.split()[1]) for line in status_lines if line.startswith("VmHWM:"))
    with open(out, "w") as f:
        json.dump({"status": status, "peak_rss_mib": peak_kib / 1024}, f)
    sys.exit(status)
