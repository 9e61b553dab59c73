"""Fleet benchmark: sgupdater (default and --concurrency 1), an aws-CLI shell loop, the floor.

    .venv/bin/python bench/run.py            # the full run; see --help for sizes
    .venv/bin/python bench/run.py --smoke    # a tiny correctness check of the set-up (CI)

Everything runs on 127.0.0.1: moto's server (with the test shims) behind a proxy that adds a
fixed delay to every request and counts requests by action. Each contender gets a fresh copy of
the same fleet, and its time counts only if the final state is then verified correct.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench import fleet
from bench.planner import planner_seconds
from sgupdater.engine.runner import DEFAULT_CONCURRENCY, MAX_CALLS_PER_TARGET
from testkit.local_ec2 import LocalServer
from testkit.proxy import LatencyProxy
from testkit.tls import make_ca

ROOT = Path(__file__).resolve().parent.parent
MUTATING = (
    "ModifySecurityGroupRules",
    "AuthorizeSecurityGroupIngress",
    "AuthorizeSecurityGroupEgress",
    "RevokeSecurityGroupIngress",
    "RevokeSecurityGroupEgress",
)
DESCRIBES = ("DescribeSecurityGroups", "DescribeSecurityGroupRules")
# AssumeRole, then the two describes (overlapped), then one mutating call per group.
SGUPDATER_CHAIN = 3


@dataclass
class Outcome:
    """One contender on one fleet: every run's time, the calls and memory of the last."""

    name: str
    shape: fleet.Shape
    seconds: list[float] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    peak_rss_mib: float | None = None
    problems: list[str] = field(default_factory=list)
    changed_groups: int = 0

    @property
    def median(self) -> float:
        """The median wall time."""
        return statistics.median(self.seconds) if self.seconds else float("nan")

    @property
    def mutating(self) -> int:
        """Calls that change a security group."""
        return sum(self.calls[a] for a in MUTATING)


class Bench:
    """moto, the proxy, the AWS config for the contenders, and the runs."""

    def __init__(self, latency: float, workdir: Path, tls: bool = True) -> None:
        self.moto = LocalServer().start()
        self.moto_url = self.moto.url
        # Over HTTPS, as AWS answers (a throw-away CA the contenders trust by AWS_CA_BUNDLE).
        ca = make_ca(workdir / "tls") if tls else None
        self.proxy = LatencyProxy(self.moto_url, latency, tls=ca.parent if ca else None).start()
        self.latency = latency
        self.workdir = workdir
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self.env.update(
            AWS_CONFIG_FILE=str(workdir / "config"),
            AWS_SHARED_CREDENTIALS_FILE=str(workdir / "credentials"),
            AWS_ENDPOINT_URL=self.proxy.url,
            HOME=str(workdir),  # the aws CLI caches assumed roles under ~/.aws
            **({"AWS_CA_BUNDLE": str(ca)} if ca else {}),
        )
        os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
        (workdir / "credentials").write_text(
            "[base]\naws_access_key_id = bench\naws_secret_access_key = bench\n"
        )
        (workdir / "mappings.yaml").write_text(
            "mappings:\n"
            f"  - {{from: {fleet.OLD}, to: {fleet.NEW}}}\n"
            f"  - {{from: {fleet.OLD6}, to: {fleet.NEW6}}}\n"
        )

    def profiles(self, shape: fleet.Shape) -> list[str]:
        """One role profile per account (role_arn + source_profile), as fleets are set up."""
        lines = ["[profile base]", "region = us-east-1"]
        for account in shape.account_ids:
            lines += [
                f"[profile acct-{account}]",
                f"role_arn = arn:aws:iam::{account}:role/{fleet.ROLE}",
                "source_profile = base",
                "region = us-east-1",
            ]
        (self.workdir / "config").write_text("\n".join(lines) + "\n")
        return [f"acct-{a}" for a in shape.account_ids]

    def fresh(self, shape: fleet.Shape) -> None:
        """Reset moto and seed the same fleet again."""
        self.moto.reset()
        # The aws CLI caches assumed roles; after a reset those keys point at nothing.
        shutil.rmtree(self.workdir / ".aws", ignore_errors=True)
        fleet.seed(shape)
        self.proxy.take_counts()

    def run(self, outcome: Outcome, command: list[str], *, runs: int, descriptions: bool) -> None:
        """Time `command` on `runs` fresh fleets, verifying each result before it counts."""
        for _ in range(runs):
            self.fresh(outcome.shape)
            rss = self.workdir / "rss.json"
            rss.unlink(missing_ok=True)
            start = time.perf_counter()
            done = subprocess.run(
                command, env=self.env, capture_output=True, text=True, check=False
            )
            elapsed = time.perf_counter() - start
            outcome.calls = self.proxy.take_counts()
            if rss.exists():
                outcome.peak_rss_mib = json.loads(rss.read_text())["peak_rss_mib"]
            outcome.problems = fleet.check(outcome.shape, self.moto_url, descriptions=descriptions)
            if done.returncode != 0:
                outcome.problems.insert(0, f"exit {done.returncode}: {done.stderr.strip()[-500:]}")
            if outcome.problems:
                return
            outcome.seconds.append(elapsed)

    def sgupdater(self, shape: fleet.Shape, concurrency: int | None, runs: int) -> Outcome:
        """sgupdater update over the whole fleet in one invocation."""
        name = "sgupdater" + (f" --concurrency {concurrency}" if concurrency else " (default)")
        outcome = Outcome(name, shape)
        args = [
            "update",
            "--config",
            str(self.workdir / "mappings.yaml"),
            "--yes",
            "-q",
            "-o",
            "json",
        ]
        for profile in self.profiles(shape):
            args += ["-p", profile]
        for region in shape.region_names:
            args += ["-r", region]
        if concurrency:
            args += ["--concurrency", str(concurrency)]
        rss = str(self.workdir / "rss.json")
        command = [sys.executable, str(ROOT / "bench" / "measure.py"), rss, "--", *args]
        self.run(outcome, command, runs=runs, descriptions=True)
        outcome.changed_groups = _changed_groups(shape)
        return outcome

    def aws_cli(self, shape: fleet.Shape, aws: str, runs: int) -> Outcome:
        """The shell loop over profiles and regions with the aws CLI."""
        outcome = Outcome("aws CLI shell loop", shape)
        self.env.update(
            AWS=aws,
            PROFILES=" ".join(self.profiles(shape)),
            REGIONS=" ".join(shape.region_names),
            OLD=fleet.OLD,
            NEW=fleet.NEW,
            OLD6=fleet.OLD6,
            NEW6=fleet.NEW6,
        )
        command = ["bash", str(ROOT / "bench" / "aws_cli_loop.sh")]
        # Such loops re-create rules without their descriptions; only coverage is checked.
        self.run(outcome, command, runs=runs, descriptions=False)
        outcome.changed_groups = _changed_groups(shape)
        return outcome

    def floor(self, reference: Outcome, in_flight: int = DEFAULT_CONCURRENCY) -> float:
        """Latency x the longer of the dependent chain and total calls / calls in flight."""
        total = sum(reference.calls.values())
        return self.latency * max(SGUPDATER_CHAIN, total / in_flight)

    def close(self) -> None:
        """Stop the proxy and moto."""
        self.proxy.stop()
        self.moto.stop()


def _changed_groups(shape: fleet.Shape) -> int:
    per_ten = sum(1 for i in range(10) if i != 8)  # index 8 of every ten has nothing to change
    whole, rest = divmod(shape.groups, 10)
    changed = whole * per_ten + sum(1 for i in range(rest) if i != 8)
    return changed * shape.accounts * shape.regions


def memory_run(bench: Bench, groups: int) -> tuple[float, float, int]:
    """Peak RSS and time of a dry-run over one target holding `groups` groups, no latency."""
    from moto.ec2.models import ec2_backends

    request = urllib.request.Request(f"{bench.moto_url}/moto-api/reset", method="POST")
    urllib.request.urlopen(request).close()
    backend = ec2_backends["123456789012"]["us-east-1"]
    vpc = backend.create_vpc("10.0.0.0/16")
    for index in range(groups):
        fleet.seed_group(backend, vpc.id, index)
    (bench.workdir / "config").write_text("[profile base]\nregion = us-east-1\n")
    env = dict(bench.env, AWS_ENDPOINT_URL=bench.moto_url)
    rss = bench.workdir / "rss.json"
    args = ["update", "--config", str(bench.workdir / "mappings.yaml"), "-p", "base", "--dry-run"]
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "measure.py"), str(rss), "--", *args, "-o", "json"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"memory run failed: {done.stderr.strip()[-500:]}")
    planned = len(json.loads(done.stdout)["changes"])
    return json.loads(rss.read_text())["peak_rss_mib"], elapsed, planned


def _shape(text: str) -> fleet.Shape:
    a, r, g = (int(x) for x in text.lower().split("x"))
    return fleet.Shape(a, r, g)


def _calls(counts: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def _table(title: str, rows: list[Outcome], bench: Bench, baseline: Outcome) -> list[str]:
    lines = [
        f"### {title}",
        "",
        "| contender | median wall s (runs) | x sgupdater default | API calls by action "
        "| mutating calls / changed group | peak RSS MiB | final state |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for o in rows:
        ratio = o.median / baseline.median if baseline.seconds and o.seconds else float("nan")
        per_group = o.mutating / o.changed_groups if o.changed_groups else float("nan")
        rss = f"{o.peak_rss_mib:.0f}" if o.peak_rss_mib is not None else "-"
        state = "verified" if not o.problems else f"WRONG: {o.problems[0]}"
        lines.append(
            f"| {o.name} | {o.median:.2f} ({len(o.seconds)}) | {ratio:.1f} | {_calls(o.calls)} "
            f"| {per_group:.2f} | {rss} | {state} |"
        )
    for in_flight in (DEFAULT_CONCURRENCY, DEFAULT_CONCURRENCY * MAX_CALLS_PER_TARGET):
        floor = bench.floor(baseline, in_flight)
        lines.append(
            f"| floor, {in_flight} calls in flight | {floor:.2f} | {floor / baseline.median:.2f} "
            "| the calls of sgupdater (default) | | | |"
        )
    return [*lines, ""]


def _target(ok: bool, text: str) -> str:
    return f"- [{'x' if ok else ' '}] {text}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added per request")
    parser.add_argument("--runs", type=int, default=3, help="runs per contender (median)")
    parser.add_argument("--small", default="2x2x5", help="fleet for the aws CLI comparison")
    parser.add_argument("--fleet", default="8x4x10", help="fleet for the concurrency comparison")
    parser.add_argument("--memory-groups", type=int, default=50_000)
    parser.add_argument("--planner-rules", type=int, default=100_000)
    parser.add_argument("--aws", default=shutil.which("aws") or "", help="the aws CLI to run")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "latest.md"))
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one run, no targets")
    parser.add_argument("--plain-http", action="store_true", help="HTTP, for comparison only")
    args = parser.parse_args()
    if args.smoke:
        args.latency, args.runs, args.small, args.fleet = 0.0, 1, "1x2x3", "2x1x3"
        args.memory_groups, args.planner_rules = 200, 1000
    if not args.aws:
        raise SystemExit("bench: no aws CLI found; `make bench` installs one in .venv-awscli")
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(args.latency, Path(tmp), tls=not args.plain_http)
        try:
            report, ok = run_all(bench, args)
        finally:
            bench.close()
    text = "\n".join(report)
    print(text)
    if not args.smoke:
        Path(args.out).write_text(text + "\n")
        print(f"bench: written to {args.out}")
    return 0 if ok else 1


def run_all(bench: Bench, args: argparse.Namespace) -> tuple[list[str], bool]:
    """Every measurement, as Markdown lines, and whether every result was verified."""
    small, big = _shape(args.small), _shape(args.fleet)
    report = [
        f"## sgupdater benchmark ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
        f"{args.latency * 1000:.0f} ms per request, median of {args.runs})",
        "",
    ]
    fast_small = bench.sgupdater(small, None, args.runs)
    cli = bench.aws_cli(small, args.aws, args.runs)
    report += _table(f"Small fleet: {small}", [fast_small, cli], bench, fast_small)
    fast = bench.sgupdater(big, None, args.runs)
    serial = bench.sgupdater(big, 1, args.runs)
    floor = bench.floor(fast)
    report += _table(f"Fleet: {big}", [fast, serial], bench, fast)
    rss, rss_seconds, planned = memory_run(bench, args.memory_groups)
    planner = planner_seconds(args.planner_rules)
    report += [
        "### One big target, the planner",
        "",
        f"- dry-run over one target of {args.memory_groups} groups (no latency): peak RSS "
        f"{rss:.0f} MiB, {rss_seconds:.1f} s, {planned} changes planned",
        f"- planner alone over {args.planner_rules} rules: {planner:.3f} s (best of 3)",
        "",
    ]
    outcomes = [fast_small, cli, fast, serial]
    ok = all(not o.problems for o in outcomes)
    if not args.smoke:
        checks = _goals(args, outcomes, floor, (rss, planner))
        report += ["### Targets", "", *(_target(ok_, text) for ok_, text in checks), ""]
    return report, ok


def _goals(
    args: argparse.Namespace, outcomes: list[Outcome], floor: float, sizes: tuple[float, float]
) -> list[tuple[bool, str]]:
    """Each goal of bench/README.md: met or not, and the figure."""
    fast_small, cli, fast, serial = outcomes
    rss, planner = sizes
    big = fast.shape
    describes = sum(fast.calls[a] for a in DESCRIBES)
    targets = big.accounts * big.regions
    vs_cli = cli.median / fast_small.median
    vs_serial = serial.median / fast.median
    return [
        (vs_cli >= 30, f"small fleet: >= 30x faster than the aws CLI loop ({vs_cli:.1f}x)"),
        (
            vs_serial >= 10,
            f"fleet: default >= 10x faster than --concurrency 1 ({vs_serial:.1f}x)",
        ),
        (fast.median <= 2 * floor, f"fleet: <= 2x the floor ({fast.median / floor:.2f}x)"),
        (
            fast.mutating == fast.changed_groups,
            f"one mutating call per changed group ({fast.mutating} for {fast.changed_groups})",
        ),
        (
            describes <= 2 * targets,
            f"describes <= one per page per account-region ({describes} for {targets} targets)",
        ),
        (rss <= 250, f"{args.memory_groups} groups: peak RSS <= 250 MiB ({rss:.0f})"),
        (planner <= 1.0, f"planner, {args.planner_rules} rules: <= 1 s ({planner:.3f})"),
    ]


if __name__ == "__main__":
    sys.exit(main())
