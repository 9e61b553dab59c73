"""The planner alone, timed: `planner_seconds(rules)` (the pure stage, no AWS)."""

from __future__ import annotations

import ipaddress
import time

from bench import fleet
from sgupdater._types import AccountId, ContainerId, EntryId, KindName, Region
from sgupdater.cidrs import Mapping
from sgupdater.engine.planner import Request, plan
from sgupdater.models import Entry, Traffic


def planner_seconds(rules: int) -> float:
    """Best of three: planning an update over `rules` rules, the planner alone."""
    old, new, other = (ipaddress.ip_network(c) for c in (fleet.OLD, fleet.NEW, "10.0.0.0/8"))
    cidrs = (old, old, new, other)
    made = [
        Entry(
            kind=KindName("rule"),
            account=AccountId("210000000000"),
            region=Region("us-east-1"),
            vpc_id="vpc-1",
            container_id=ContainerId(f"sg-{i // 4:08x}"),
            container_name=f"app-{i // 4}",
            entry_id=EntryId(f"sgr-{i:08x}"),
            traffic=Traffic("ingress", "tcp", 443 + (i % 4 == 1), 443 + (i % 4 == 1)),
            cidr=cidrs[i % 4],
            description="office",
        )
        for i in range(rules)
    ]
    request = Request("update", (Mapping(old, new),))
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        plan(made, request)
        best = min(best, time.perf_counter() - start)
    return best
