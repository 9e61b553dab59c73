"""The Organization benchmark: sgupdater over a simulated Organization, every region.

`python -m bench.org --accounts 100` visits 100 accounts x 17 regions = 1,700 targets through
bench.sim (100 ms per call by default) over HTTPS (a throw-away CA; `--plain-http` to compare)
and records, per command: wall time, sgupdater's CPU (user + system of its processes), CPU per
target, peak RSS, calls and new TLS connections per target.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench import sim
from testkit.tls import HANDSHAKES, make_ca

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "show": ["show"],
    "update --dry-run": ["update", "--to-cidr", "198.51.100.0/24", "--dry-run"],
    "update --yes": ["update", "--to-cidr", "198.51.100.0/24", "--yes"],
    # The simulator answers AWS Config's advanced query from the fleet it generates.
    "show --inventory": ["show", "--inventory", "config:sim"],
    "update --inventory --dry-run": [
        "update", "--to-cidr", "198.51.100.0/24", "--dry-run", "--inventory", "config:sim",
    ],
}  # fmt: skip


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of one process so far (the simulator's, beside sgupdater's)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _counts(url: str, ca: Path | None) -> dict[str, int]:
    """The simulator's counts since the last time, then zeroed."""
    context = ssl.create_default_context(cafile=str(ca)) if ca is not None else None
    with urllib.request.urlopen(url + sim.COUNTS_PATH, context=context) as answer:
        counts: dict[str, int] = json.loads(answer.read())
    return counts


def run(
    url: str, home: Path, words: list[str], concurrency: int | None, ca: Path | None, sim_pid: int
) -> dict[str, float]:
    """One sgupdater command against the simulator; its figures."""
    out = home / "measure.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=str(home / "config"), AWS_SHARED_CREDENTIALS_FILE=str(home / "creds"),
        AWS_ENDPOINT_URL=url, XDG_STATE_HOME=str(home / "state"),
    )  # fmt: skip
    if ca is not None:
        env["AWS_CA_BUNDLE"] = str(ca)
    _counts(url, ca)
    args = [*words[:1], "--from-cidr", sim.OLD, *words[1:], "--org-role", "bench", "-r", "all"]
    args += ["-o", "json", "-q"]
    # None: the tool's own default (16 in one process, 48 in each worker process).
    args += ["--concurrency", str(concurrency)] if concurrency is not None else []
    command = [sys.executable, str(ROOT / "bench" / "measure.py"), str(out), "--", *args]
    before, start, served = _cpu(), time.perf_counter(), _process_cpu(sim_pid)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - start, _cpu() - before
    served = _process_cpu(sim_pid) - served
    if done.returncode != 0:
        raise SystemExit(f"bench.org: sgupdater exited {done.returncode}: {done.stderr[-500:]}")
    summary = json.loads(done.stdout)["summary"]
    counts = _counts(url, ca)
    # The count's own connection is one handshake of them.
    handshakes = max(0, counts.pop(HANDSHAKES, 0) - 1)
    calls = sum(counts.values())
    targets = int(summary["targets"])
    measured = json.loads(out.read_text())
    return {
        "targets": targets, "wall": wall, "cpu": cpu, "cpu_ms_per_target": cpu / targets * 1000,
        "peak_rss_mib": measured["peak_rss_mib"], "processes": measured["processes"],
        "parent_mib": measured["parent_peak_rss_mib"],
        "calls_per_target": calls / targets, "matched": int(summary["rules_matched"]),
        "handshakes_per_target": handshakes / targets,
        "left_out": int(summary.get("left_out", 0)), "sim_cpu": served,
    }  # fmt: skip


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument("--commands", default="show,update --dry-run,update --yes")
    parser.add_argument(
        "--every", type=int, default=20, help="one target in EVERY holds the range (100: 1 %%)"
    )
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "org.md"))
    parser.add_argument(
        "--plain-http", action="store_true", help="HTTP instead of HTTPS, for comparison only"
    )
    return parser.parse_args()


def _row(name: str, f: dict[str, float]) -> str:
    return (
        f"| `{name}` | {f['targets']:.0f} | {f['wall']:.1f} | {f['cpu']:.1f} | "
        f"{f['cpu_ms_per_target']:.1f} | {f['peak_rss_mib']:.0f} | {f['parent_mib']:.0f} | "
        f"{f['processes']:.0f} | {f['calls_per_target']:.2f} | "
        f"{f['handshakes_per_target']:.3f} | {f['matched']:.0f} | {f['left_out']:.0f} | "
        f"{f['sim_cpu']:.1f} |"
    )


def main() -> int:
    args = _arguments()
    certs = Path(tempfile.mkdtemp(prefix="sgupdater-bench-tls-"))
    ca = None if args.plain_http else make_ca(certs)
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.sim", str(args.accounts), str(args.latency),
         *([] if ca is None else [str(certs)]), "--every", str(args.every)],
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    assert server.stdout is not None
    scheme = "http" if ca is None else "https"
    url = f"{scheme}://127.0.0.1:{int(server.stdout.readline())}"
    lines = [
        f"## Organization benchmark ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
        f"{args.accounts} accounts x {len(sim.REGIONS)} regions, {args.latency * 1000:.0f} ms "
        f"per call, --concurrency {args.concurrency or 'default'}, {scheme.upper()}, "
        f"1 target in {args.every} holds the range)",
        "",
        "| command | targets | wall s | sgupdater CPU s | CPU ms / target | peak RSS MiB "
        "| of it the parent | processes | calls / target | new TLS connections / target "
        "| matched | left out by the inventory | simulator CPU s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            (home / "config").write_text("[default]\nregion = us-east-1\n")
            keys = f"aws_access_key_id = {sim.MANAGEMENT_KEY}\naws_secret_access_key = sim"
            (home / "creds").write_text(f"[default]\n{keys}\n")
            for name in args.commands.split(","):
                found = run(url, home, COMMANDS[name], args.concurrency, ca, server.pid)
                lines.append(_row(name, found))
                print(lines[-1], flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(certs, ignore_errors=True)
    Path(args.out).write_text("\n".join(lines) + "\n")
    print(f"bench.org: written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
