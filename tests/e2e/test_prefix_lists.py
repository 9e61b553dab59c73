"""--prefix-lists: customer-managed prefix-list entries beside the rules, read back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from moto.ec2.models.managed_prefixes import ManagedPrefixListBackend

from testkit import helpers
from testkit.ec2_lists import make_ipam_managed
from tests.e2e.conftest import Aws, Cli

A, B, C = "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"


def test_update_replaces_the_entry_keeping_its_description(aws: Aws, cli: Cli) -> None:
    ec2 = aws.ec2()
    pl = helpers.prefix_list(ec2, "offices", ((A, "paris"), ("10.0.0.0/8", "dc")))
    run = cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "--prefix-lists", "-o", "json")
    assert run.code == 0, run.err
    assert helpers.entries(ec2, pl) == {(B, "paris"), ("10.0.0.0/8", "dc")}
    change = json.loads(run.out)["changes"][0]
    assert (change["kind"], change["group_id"], change["action"]) == ("prefix-list", pl, "modify")


def test_without_the_flag_prefix_lists_are_left_alone(aws: Aws, cli: Cli) -> None:
    ec2 = aws.ec2()
    pl = helpers.prefix_list(ec2, "offices", ((A, "paris"),))
    run = cli("update", "--yes", "--from-cidr", A, "--to-cidr", B)
    assert run.code == 0, run.err
    assert helpers.entries(ec2, pl) == {(A, "paris")}


def test_aws_managed_lists_are_never_touched(aws: Aws, cli: Cli) -> None:
    ec2 = aws.ec2()
    s3 = ec2.describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": ["com.amazonaws.us-east-1.s3"]}]
    )["PrefixLists"][0]["PrefixListId"]
    before = helpers.entries(ec2, s3)
    cidr = sorted(before)[0][0]
    run = cli("show", "--from-cidr", cidr, "--prefix-lists", "-o", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["rules"] == []
    run = cli("update", "--yes", "--from-cidr", cidr, "--to-cidr", B, "--prefix-lists")
    assert run.code == 0, run.err
    assert helpers.entries(ec2, s3) == before


def test_show_add_and_remove_work_on_entries(aws: Aws, cli: Cli) -> None:
    ec2 = aws.ec2()
    pl = helpers.prefix_list(ec2, "offices", ((A, "paris"),))
    shown = json.loads(cli("show", "--from-cidr", A, "--prefix-lists", "-o", "json").out)
    assert [(r["kind"], r["group_name"], r["cidr"]) for r in shown["rules"]] == [
        ("prefix-list", "offices", A)
    ]
    assert cli("add", "--yes", "--from-cidr", A, "--to-cidr", B, "--prefix-lists").code == 0
    assert helpers.entries(ec2, pl) == {(A, "paris"), (B, "paris")}
    run = cli("remove", "--yes", "--cidr", A, "--only-where", B, "--prefix-lists")
    assert run.code == 0, run.err
    assert helpers.entries(ec2, pl) == {(B, "paris")}


def test_a_full_list_is_reported_before_anything_changes(aws: Aws, cli: Cli) -> None:
    ec2 = aws.ec2()
    pl = helpers.prefix_list(ec2, "offices", ((A, "paris"), (C, "lyon")), max_entries=2)
    run = cli("add", "--from-cidr", A, "--to-cidr", B, "--prefix-lists", "--dry-run", "-o", "json")
    assert run.code == 1
    change = json.loads(run.out)["changes"][0]
    assert change["status"] == "blocked"
    assert "full" in change["detail"]
    assert "left as it is" in run.err
    assert helpers.entries(ec2, pl) == {(A, "paris"), (C, "lyon")}


@pytest.fixture
def someone_edits_first() -> Iterator[list[str]]:
    """Another operator adds an entry just before sgupdater's first write reaches EC2."""
    original = ManagedPrefixListBackend.modify_managed_prefix_list
    seen: list[str] = []

    def racing(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not seen:
            seen.append("raced")
            pl = self.managed_prefix_lists[kwargs["prefix_list_id"]]
            entries = [*pl.entries[pl.version], {"Cidr": C, "Description": "lyon"}]
            pl.version += 1
            pl.entries[pl.version] = entries
        else:
            seen.append("retried")
        return original(self, *args, **kwargs)

    ManagedPrefixListBackend.modify_managed_prefix_list = racing  # type: ignore[method-assign]
    yield seen
    ManagedPrefixListBackend.modify_managed_prefix_list = original  # type: ignore[method-assign]


def test_a_version_conflict_is_retried_after_reading_again(
    aws: Aws, cli: Cli, someone_edits_first: list[str]
) -> None:
    ec2 = aws.ec2()
    pl = helpers.prefix_list(ec2, "offices", ((A, "paris"),))
    run = cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "--prefix-lists", "-o", "json")
    assert run.code == 0, run.err
    assert someone_edits_first == ["raced", "retried"]
    # Both edits stand: nothing the other operator added was lost.
    assert helpers.entries(ec2, pl) == {(B, "paris"), (C, "lyon")}


def test_rollback_restores_the_entries(aws: Aws, cli: Cli, tmp_path: Any) -> None:
    ec2 = aws.ec2()
    pl = helpers.prefix_list(ec2, "offices", ((A, "paris"), (B, "berlin"), (C, "lyon")))
    journal = tmp_path / "j.jsonl"
    run = cli(
        "update",
        "--yes",
        "--from-cidr",
        A,
        "--to-cidr",
        B,
        "--prefix-lists",
        "--journal",
        str(journal),
    )
    assert run.code == 0, run.err
    assert helpers.entries(ec2, pl) == {(B, "berlin"), (C, "lyon")}
    run = cli("rollback", str(journal), "--yes")
    assert run.code == 0, run.err
    assert helpers.entries(ec2, pl) == {(A, "paris"), (B, "berlin"), (C, "lyon")}


def test_renumbering_150_host_entries_takes_calls_of_at_most_100(aws: Aws, cli: Cli) -> None:
    ec2 = aws.ec2()
    hosts = [f"192.0.2.{n}/32" for n in range(1, 151)]
    pl = helpers.prefix_list(ec2, "hosts", tuple((h, f"host {h}") for h in hosts[:100]), 200)
    ec2.modify_managed_prefix_list(
        PrefixListId=pl,
        CurrentVersion=1,
        AddEntries=[{"Cidr": h, "Description": f"host {h}"} for h in hosts[100:]],
    )
    run = cli(
        "update", "--yes", "--from-cidr", A, "--to-cidr", B, "--match", "within", "--renumber",
        "--prefix-lists", "-v", "-o", "json",
    )  # fmt: skip
    assert run.code == 0, run.err
    moved = {(h.replace("192.0.2.", "198.51.100."), f"host {h}") for h in hosts}
    assert helpers.entries(ec2, pl) == moved
    assert f"ModifyManagedPrefixList {pl}: 100 change(s)" in run.err
    assert f"ModifyManagedPrefixList {pl}: 50 change(s)" in run.err
    assert {c["status"] for c in json.loads(run.out)["changes"]} == {"applied"}


def test_an_ipam_managed_list_is_shown_and_blocked_never_edited(aws: Aws, cli: Cli) -> None:
    ec2 = aws.ec2()
    pl = helpers.prefix_list(ec2, "synced", ((A, "paris"),))
    make_ipam_managed("123456789012", "us-east-1", pl, "ipam-prefix-list-resolver-target-7")
    shown = cli("show", "--from-cidr", A, "--prefix-lists", "-o", "json")
    assert [r["group_id"] for r in json.loads(shown.out)["rules"]] == [pl]
    run = cli("update", "--yes", "--from-cidr", A, "--to-cidr", B, "--prefix-lists", "-o", "json")
    assert run.code == 1
    [change] = json.loads(run.out)["changes"]
    assert change["status"] == "blocked"
    assert "IPAM-managed (ipam-prefix-list-resolver-target-7)" in change["detail"]
    assert helpers.entries(ec2, pl) == {(A, "paris")}
