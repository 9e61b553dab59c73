"""A scale simulator: STS, Organizations and EC2 for a generated Organization, on 127.0.0.1.

Fast enough for 17,000 targets (a few hundred microseconds of its own CPU per call), in a
process of its own, with a fixed delay per call like the latency proxy. The fleet is a pure
function of (account, region): 2 groups per target, each allowing 10.0.0.0/8 on tcp/443, and
in one target in 20 the first group also allows the old range. It answers what sgupdater asks
for a show, a dry run or an update: GetCallerIdentity, AssumeRole, ListAccounts,
DescribeRegions, DescribeSecurityGroups, DescribeSecurityGroupRules, the rule edits
(accepted, not remembered), and AWS Config's SelectAggregateResourceConfig for --inventory
(bench.sim_config). Run: `python -m bench.sim ACCOUNTS DELAY [TLS_DIR] [--every N]` prints its
port; with TLS_DIR (testkit.tls.make_ca) it speaks HTTPS and counts its handshakes.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from bench import sim_config, sim_shapes
from testkit.proxy import LoopbackServer, QuietHandler
from testkit.tls import HANDSHAKES, TLSLoopbackServer

MANAGEMENT = "200000000000"
MANAGEMENT_KEY = "AKIASIMMANAGEMENT"
OLD = "192.0.2.0/24"
REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1",
    "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1",
    "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "sa-east-1",
)  # fmt: skip
COUNTS_PATH = "/__sim_counts"
_SCOPE = re.compile(r"Credential=([^/]+)/\d+/([^/]+)/")
_PAGE = 20  # ListAccounts answers at most 20 accounts a page


def account_ids(count: int) -> list[str]:
    """The member accounts of the simulated Organization."""
    return [f"{300000000000 + i:012d}" for i in range(count)]


def _hex(*parts: str) -> str:
    return hashlib.blake2b("/".join(parts).encode(), digest_size=9).hexdigest()[:17]


# One target in EVERY holds the old range (`--every`; 100 for an Organization where 1 % does).
EVERY = 20


def matches(account: str, region: str) -> bool:
    """True for the one target in EVERY whose first group allows the old range."""
    return int(_hex(account, region), 16) % EVERY == 0


def groups(account: str, region: str) -> list[dict[str, Any]]:
    """A target's security groups, as DescribeSecurityGroups answers."""
    return [
        {
            "GroupId": f"sg-{_hex(account, region, str(n))}",
            "GroupName": f"app-{n}",
            "Description": f"app {n}",
            "VpcId": f"vpc-{_hex(account, region)}",
            "OwnerId": account,
        }
        for n in range(2)
    ]


def rules(account: str, region: str) -> list[dict[str, Any]]:
    """A target's security-group rules, as DescribeSecurityGroupRules answers."""
    found = []
    for n, group in enumerate(groups(account, region)):
        cidrs = ["10.0.0.0/8", *([OLD] if n == 0 and matches(account, region) else [])]
        for cidr in cidrs:
            found.append(
                {
                    "SecurityGroupRuleId": f"sgr-{_hex(group['GroupId'], cidr)}",
                    "GroupId": group["GroupId"],
                    "GroupOwnerId": account,
                    "IsEgress": False,
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "CidrIpv4": cidr,
                    "Description": "office https" if cidr == OLD else "internal",
                }
            )
    return found


class _Handler(QuietHandler):
    accounts: list[str]
    delay: float
    counts: Counter[str]
    lock: threading.Lock

    def do_GET(self) -> None:
        with self.lock:
            counts = dict(self.counts)
            self.counts.clear()
        server = self.server
        if isinstance(server, TLSLoopbackServer):
            # The TLS handshakes since the last count (the one asking included).
            counts[HANDSHAKES], server.handshakes = server.handshakes, 0
        self._reply(json.dumps(counts).encode(), "application/json")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        key, region = _SCOPE.search(self.headers.get("Authorization", "")).groups()  # type: ignore[union-attr]
        account = MANAGEMENT if key == MANAGEMENT_KEY else key.removeprefix("ASIA")
        target = self.headers.get("X-Amz-Target", "")
        params = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        action = target.rpartition(".")[2] or params.get("Action", "")
        with self.lock:
            self.counts[action] += 1
        time.sleep(self.delay)
        if target.startswith(sim_config.TARGET):
            status, answer = sim_config.select(self.accounts, json.loads(body or b"{}"))
            self._reply(json.dumps(answer).encode(), "application/x-amz-json-1.1", status)
        elif target:
            self._reply(sim_shapes.organizations(self._list_accounts(json.loads(body or b"{}"))),
                        "application/x-amz-json-1.1")  # fmt: skip
        elif action in ("GetCallerIdentity", "AssumeRole"):
            self._reply(sim_shapes.sts(action, self._sts(action, params, account)), "text/xml")
        else:
            self._reply(
                sim_shapes.ec2(action, self._ec2(action, params, account, region)), "text/xml"
            )

    def _list_accounts(self, asked: dict[str, Any]) -> dict[str, Any]:
        start = int(asked.get("NextToken") or 0)
        page = self.accounts[start : start + _PAGE]
        found: dict[str, Any] = {
            "Accounts": [
                {"Id": a, "Name": f"account-{a[-4:]}", "State": "ACTIVE", "Status": "ACTIVE"}
                for a in page
            ]
        }
        if start + _PAGE < len(self.accounts):
            found["NextToken"] = str(start + _PAGE)
        return found

    def _sts(self, action: str, params: dict[str, str], account: str) -> dict[str, Any]:
        if action == "GetCallerIdentity":
            return {"Account": account, "Arn": f"arn:aws:iam::{account}:root", "UserId": "sim"}
        member = params["RoleArn"].split(":")[4]
        return {
            "Credentials": {
                "AccessKeyId": f"ASIA{member}",
                "SecretAccessKey": "sim",
                "SessionToken": "sim",
                "Expiration": "2099-01-01T00:00:00Z",
            },
            "AssumedRoleUser": {"AssumedRoleId": "sim", "Arn": params["RoleArn"]},
        }

    def _ec2(
        self, action: str, params: dict[str, str], account: str, region: str
    ) -> dict[str, Any]:
        if action == "DescribeRegions":
            return {
                "Regions": [
                    {"RegionName": r, "OptInStatus": "opt-in-not-required"} for r in REGIONS
                ]
            }
        if action == "DescribeSecurityGroups":
            return {"SecurityGroups": groups(account, region)}
        if action == "DescribeSecurityGroupRules":
            return {"SecurityGroupRules": rules(account, region)}
        # The rule edits: accepted, not remembered (the benchmark measures, it does not verify).
        return {"Return": True}

    def _reply(self, payload: bytes, kind: str, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def serve(count: int, delay: float, tls: Path | None = None) -> None:
    """Serve an Organization of `count` member accounts; print the port, then run forever.

    tls: a directory made by testkit.tls.make_ca: serve HTTPS, each new connection paying
    its handshake's round trips at `delay`.
    """
    attributes = {
        "accounts": account_ids(count), "delay": delay, "counts": Counter(),
        "lock": threading.Lock(),
    }  # fmt: skip
    handler = type("Handler", (_Handler,), attributes)
    address = ("127.0.0.1", 0)
    server = (
        LoopbackServer(address, handler)
        if tls is None
        else TLSLoopbackServer(address, handler, tls, delay)
    )
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    # Through the module as imported, not __main__: bench.sim_config reads EVERY from it too.
    from bench import sim as this

    words = sys.argv[1:]
    if "--every" in words:
        at = words.index("--every")
        this.EVERY = int(words[at + 1])
        del words[at : at + 2]
    this.serve(int(words[0]), float(words[1]), Path(words[2]) if len(words) > 2 else None)
