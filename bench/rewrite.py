"""The rewrite benchmark: `sgupdater rewrite` over a generated tree of IaC sources.

`python -m bench.rewrite --files 10000 --size 5000` writes 10,000 files of about 5 KB (50 MB:
Terraform, CloudFormation YAML and JSON, Kubernetes manifests, a range to move in every tenth
literal), then times `sgupdater rewrite DIR --from-cidr … --to-cidr … -o json` on them (or, with
`--output diff`, the default output: the diff): wall time, CPU (user + system of its processes)
and peak RSS. Goal: ≤ 10 s for 10,000 files.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OLD, NEW = "192.0.2.0/24", "198.51.100.0/24"


# One file in HOLDING holds the range (every tenth of its literals); `--every` sets it.
HOLDING = [1]


def _cidr(n: int, holds: bool = True) -> str:
    return OLD if holds and n % 10 == 0 else f"10.{n % 250}.{n // 250 % 250}.0/24"


def _filled(size: int, part: Callable[[int], str]) -> list[str]:
    """Parts made by `part(0)`, `part(1)`, ... until they hold `size` characters."""
    parts: list[str] = []
    total = 0
    while total < size:
        parts.append(part(len(parts)))
        total += len(parts[-1])
    return parts


def _terraform(n: int, size: int) -> str:
    return "# generated\n" + "".join(_filled(size, lambda k: (
        f'resource "aws_security_group_rule" "r{n}_{k}" {{\n'
        f'  type        = "ingress"\n  from_port   = {k % 1000}\n  to_port     = {k % 1000}\n'
        f'  protocol    = "tcp"\n  description = "rule {k} for {_cidr(k + 1)}"\n'
        f'  cidr_blocks = ["{_cidr(k)}", "{_cidr(k + 3)}"]\n}}\n\n')))  # fmt: skip


def _yaml(n: int, size: int) -> str:
    head = (f"AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  G{n}:\n"
            "    Type: AWS::EC2::SecurityGroup\n    Properties:\n"
            "      GroupDescription: generated\n      SecurityGroupIngress:\n")  # fmt: skip
    return head + "".join(_filled(size, lambda k: (
        f"        - IpProtocol: tcp\n          FromPort: {k % 1000}\n"
        f"          ToPort: {k % 1000}\n          CidrIp: {_cidr(k)}\n"
        f"          Description: from {_cidr(k + 1)}\n")))  # fmt: skip


def _json(n: int, size: int) -> str:
    entries = _filled(size, lambda k: json.dumps({"Cidr": _cidr(k), "Description": f"entry {k}"}))
    return (
        '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"L": {"Type": '
        '"AWS::EC2::PrefixList", "Properties": {"Entries": [\n' + ",\n".join(entries) + "]}}}}\n"
    )


def _k8s(n: int, size: int) -> str:
    ranges = _filled(size - 200, lambda k: f"    - {_cidr(k)}\n")
    return (f"apiVersion: v1\nkind: Service\nmetadata:\n  name: s{n}\nspec:\n"
            "  type: LoadBalancer\n  loadBalancerSourceRanges:\n" + "".join(ranges))  # fmt: skip


_KINDS = ((".tf", _terraform), (".yaml", _yaml), (".json", _json), (".yml", _k8s))


def generate(where: Path, files: int, size: int) -> int:
    """Write the tree; its size in bytes."""
    total = 0
    for n in range(files):
        suffix, make = _KINDS[n % len(_KINDS)]
        folder = where / f"m{n // 100:03d}"
        folder.mkdir(exist_ok=True)
        text = make(n, size)
        if n % HOLDING[0]:
            # This file does not hold the range: its literals name another one.
            text = text.replace(OLD, "10.251.0.0/24")
        (folder / f"f{n:05d}{suffix}").write_text(text)
        total += len(text)
    return total


def _summary(stdout: str, stderr: str, output: str) -> dict[str, int]:
    """The run's counts: from the JSON document, or from the diff run's summary line."""
    if output == "json":
        counts: dict[str, int] = json.loads(stdout)["summary"]
        return counts
    said = re.search(r"(\d+) literal\(s\) to rewrite .*?, (\d+) reported", stderr)
    if said is None or not stdout.startswith("--- "):
        raise SystemExit(f"bench.rewrite: no diff and no summary: {stderr[-400:]}")
    return {"changes": int(said.group(1)), "reported": int(said.group(2))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=5_000)
    parser.add_argument("--every", type=int, default=1, help="one file in EVERY holds the range")
    parser.add_argument("--output", choices=("json", "diff"), default="json")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "rewrite.md"))
    args = parser.parse_args()
    HOLDING[0] = args.every
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp, "infra")
        tree.mkdir()
        total = generate(tree, args.files, args.size)
        command = [sys.executable, "-m", "sgupdater", "rewrite", str(tree), "--from-cidr", OLD,
                   "--to-cidr", NEW, "-o", args.output, "-q"]  # fmt: skip
        before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"bench.rewrite: sgupdater exited {done.returncode}: {done.stderr[-400:]}")
    summary = _summary(done.stdout, done.stderr, args.output)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    # ru_maxrss of the children: the largest of them (KiB on Linux).
    line = (
        f"| {args.files} | 1 in {args.every} | {args.output} | {total / 1e6:.1f} | {wall:.1f} "
        f"| {cpu:.1f} | {after.ru_maxrss / 1024:.0f} "
        f"| {summary['changes']} | {summary['reported']} |"
    )
    header = (
        f"## rewrite benchmark ({time.strftime('%Y-%m-%d')})\n\n"
        "| files | files holding the range | output | MB | wall s | CPU s | peak RSS MiB "
        "| literals rewritten | reported |\n" + "| --- " * 9 + "|\n"
    )
    out = Path(args.out)
    kept = out.read_text().splitlines()[4:] if out.exists() else []
    out.write_text(header + "\n".join([*kept, line]) + "\n")
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
