"""Tables an operator approves: ids, regions and CIDRs are never cut, at any width."""

from __future__ import annotations

import io
import ipaddress
import re

import pytest
from rich.console import Console

from sgupdater.models import Change, Plan, Target, TargetResult
from sgupdater.output.report import OutputFormat
from sgupdater.output.tables import targets_table
from testkit.records import ACCOUNT, REGION, sg_rule

GROUP = "sg-0067a1b2c3d4e5f60"
OLD6, NEW6 = "2001:db8:aaaa:bbbb::/64", "2001:db8:cccc:dddd::/64"


def results() -> list[TargetResult]:
    """A plan of two changes, one IPv6, with a long description."""
    v4 = sg_rule("192.0.2.0/24", group=GROUP, description="the Paris office, all staff")
    v6 = sg_rule(OLD6, group=GROUP, entry_id="sgr-2", port=443)
    changes = (
        Change("modify", v4, ipaddress.ip_network("198.51.100.0/24"), "replace in place"),
        Change("modify", v6, ipaddress.ip_network(NEW6), "replace in place"),
    )
    target = Target(REGION, account=ACCOUNT, alias="production-main")
    return [TargetResult(target, ACCOUNT, 1, Plan(changes, (v4, v6)))]


def render(width: int, draw: str) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, highlight=False)
    if draw == "plan":
        OutputFormat.table.changes_renderer("update", dry_run=True)(console, results())
    elif draw == "rules":
        OutputFormat.table.rules_renderer()(console, results())
    else:
        targets_table(console, results(), "plan")
    text = out.getvalue()
    assert all(len(line) <= width for line in text.splitlines())
    return text


@pytest.mark.parametrize("width", [80, 100, 200])
@pytest.mark.parametrize("draw", ["plan", "rules", "targets"])
def test_ids_regions_and_cidrs_are_whole_at_any_width(width: int, draw: str) -> None:
    text = render(width, draw)
    whole = [ACCOUNT, REGION]
    if draw == "plan":
        whole += [GROUP, "192.0.2.0/24 → 198.51.100.0/24", f"{OLD6} → {NEW6}"]
    if draw == "rules":
        whole += [GROUP, "192.0.2.0/24", OLD6]
    for value in whole:
        assert value in text, (value, text)
    assert "…" not in text


def test_a_wide_console_gets_a_table_a_narrow_one_a_block_per_change() -> None:
    wide, narrow = render(200, "plan"), render(80, "plan")
    assert re.search(r"Account +┃ Region", wide)
    assert wide.count(GROUP) == 2
    blocks = [line for line in narrow.splitlines() if line.startswith("- ")]
    assert len(blocks) == 2
    assert f"{ACCOUNT} (production-main)  {REGION}  {GROUP} (web)" in blocks[0]
    assert f"  Old → New: {OLD6} → {NEW6}" in narrow
    assert "  ingress  tcp  443  modify  planned" in narrow


def test_markdown_cells_show_text_as_it_is() -> None:
    out = io.StringIO()
    rule = sg_rule("192.0.2.0/24", group=GROUP, description="a | b <b>x</b> **y** `z`")
    change = Change("modify", rule, ipaddress.ip_network("198.51.100.0/24"), "replace in place")
    target = Target(REGION, account=ACCOUNT)
    plan = [TargetResult(target, ACCOUNT, 1, Plan((change,), (rule,)))]
    OutputFormat.markdown.rules_renderer()(Console(file=out), plan)
    row = next(line for line in out.getvalue().splitlines() if line.startswith(f"| {GROUP}"))
    assert row.count(" | ") == 6  # seven cells: the description's bar is no column
    assert r"a \| b \<b\>x\</b\> \*\*y\*\* \`z\`" in row
