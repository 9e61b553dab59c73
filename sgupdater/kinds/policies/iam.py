"""aws:SourceIp conditions of IAM policies: customer-managed (default version) and inline.

IAM is global: read once per account (Traits.per_account). A customer-managed policy changes
by a new default version (the old one stays, so rollback sets it back); an inline policy of a
role, user or group is re-read just before it is written, and only its matching values change.
Every write is checked against IAM's size quotas first, and a version is pruned only for a
write that fits, and put back if IAM refuses the new one anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any

import botocore.exceptions

from sgupdater._types import AccountId, ContainerId, KindName
from sgupdater.aws import sessions as aws
from sgupdater.kinds.interface import Batch, KindScan, Reading, Recorded, Safety, Switch
from sgupdater.kinds.policies import document as policy_doc
from sgupdater.kinds.policies import iam_read
from sgupdater.kinds.policies.common import (
    SWITCH,
    made_ids,
    policy_cell,
    policy_cost,
    policy_rules,
    policy_safety,
    policy_traits,
    rewritten,
)
from sgupdater.kinds.policies.iam_read import MANAGED, call, inline, policy_json
from sgupdater.kinds.sending import Sender
from sgupdater.models import Change, Current, Entry, Failed, Outcome
from sgupdater.scope import Scope

log = logging.getLogger("sgupdater")

NAME = KindName("iam-policy")
# At IAM's version limit a policy's oldest non-default version may be deleted (journalled).
PRUNE_VERSIONS = Switch(
    "prune_policy_versions",
    "--prune-policy-versions",
    "With --policies: at IAM's 5 versions, delete the oldest non-default one (journalled whole "
    "first).",
    on_apply=True,
    # A policy is only written by these; show reads.
    commands=("update", "add", "remove"),
)
PRUNE = PRUNE_VERSIONS.key
# CreatePolicyVersion: "A managed policy can have up to five versions."
MAX_VERSIONS = 5


def read(client: Any, container: str) -> Any:
    """A policy's document as it is now: the default version, or the inline document."""
    if MANAGED.match(container):
        policy = client.get_policy(PolicyArn=container)["Policy"]
        version = client.get_policy_version(
            PolicyArn=container, VersionId=policy["DefaultVersionId"]
        )
        return version["PolicyVersion"]["Document"]
    principal, holder, name = inline(container)
    answer = getattr(client, call(principal, "get"))(
        **{f"{principal.capitalize()}Name": holder, "PolicyName": name}
    )
    return answer["PolicyDocument"]


def _full(arn: str) -> str:
    return (
        f"the policy has {MAX_VERSIONS} versions, as many as IAM keeps: delete one "
        f"(aws iam delete-policy-version --policy-arn {arn} --version-id …) or pass "
        f"{PRUNE_VERSIONS.flag}, and run again"
    )


def _caller_notes(reading: Reading, found: iam_read.Inventory, hit: set[str]) -> tuple[str, ...]:
    """A warning for each changed policy that governs the caller's own calls."""
    if reading.clients is None or not hit:
        return ()
    try:
        arn = str(reading.clients("sts").get_caller_identity()["Arn"])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        return (f"who is calling is unknown ({aws.target_error(exc).code}): a policy below may "
                "govern your own calls; its changes run after every other change",)  # fmt: skip
    mine = sorted(hit & found.governing(iam_read.principal_of(arn)))
    return tuple(
        f"policy {container} governs your own calls ({arn}): its changes run after every other "
        "change of the run, and only if they all applied; check you call from the new range "
        "before you run again"
        for container in mine
    )


class IamPolicies:
    """aws:SourceIp values in customer-managed and inline IAM policies (`--policies`)."""

    name = NAME
    service = "iam"
    switch = SWITCH
    # Not searched through AWS Config: --inventory refuses a run that switches it on.
    recorded: Recorded | None = None
    allowances = (PRUNE_VERSIONS,)
    traits = policy_traits(
        rf"{MANAGED.pattern.strip('^')}[\w+=,.@/-]{{1,512}}|{iam_read.INLINE.pattern.strip('^$')}",
        "policy",
    )

    def scan(self, client: Any, reading: Reading) -> KindScan:
        """The matching values of every policy, each policy's quota, and what it cannot take."""
        rules: list[Entry] = []
        locked: dict[str, str] = {}
        quotas = {}
        owner = reading.account or AccountId("")
        pruned = PRUNE in reading.scope.switches
        found = iam_read.inventory(client)
        for held in found.policies:
            matched = policy_rules(NAME, (held.container, held.name), held.document, reading, owner)
            if not matched:
                continue
            quotas[held.container] = held.quota
            if held.protected:
                locked[held.container] = held.protected
            elif not pruned and held.versions >= MAX_VERSIONS:
                locked[held.container] = _full(held.container)
            rules.extend(matched)
        notes = _caller_notes(reading, found, {r.container_id for r in rules})
        return KindScan(tuple(rules), locked=locked, quotas=quotas, notes=notes)

    def current(self, client: Any, container_ids: Sequence[str], scope: Scope) -> Iterator[Current]:
        """The matching values of these policies as they are now."""
        for container in container_ids:
            try:
                document = read(client, container)
            except botocore.exceptions.ClientError as exc:
                if aws.target_error(exc).code == "NoSuchEntity":
                    continue
                raise
            for hit in policy_doc.hits(document):
                yield Current(hit.entry, (ContainerId(container), None), str(hit.cidr), hit.meaning)

    def apply(self, client: Any, batch: Batch) -> dict[int, Outcome]:
        """Rewrite the policy's matching values, then write it once."""
        run = _PolicyRun(client, batch)
        return run.carried_out(batch, run.write)

    def safety(self, rule: Entry) -> Safety:
        """Restricting where removal widens; every value governs who may call AWS."""
        return policy_safety(rule)

    def cost(self, change: Change) -> int:
        """Characters the change adds to the policy (IAM's quota counts characters)."""
        return policy_cost(change)

    def container_cell(self, ident: str, name: str, rule_id: str, action: str) -> str:
        """A policy by its name and the statement holding the value."""
        return policy_cell("policy", name or ident, rule_id)


class _PolicyRun(Sender):
    def __init__(self, client: Any, batch: Batch) -> None:
        super().__init__(batch)
        self.client = client
        self.changes = batch.changes
        self.allow = batch.allow

    def write(self) -> None:
        """Re-read the policy, rewrite the values, write it (a new default version if managed)."""
        container = self.resource_id
        document = read(self.client, container)
        after, todo = rewritten(self, self.changes, document)
        if not todo:
            return
        if MANAGED.match(container):
            if self._fits(after, iam_read.MANAGED_LIMIT, todo):
                self._version(container, after, todo)
            return
        principal, holder, name = inline(container)
        if not self._fits(after, iam_read.INLINE_LIMITS[principal], todo):
            return
        put = getattr(self.client, call(principal, "put"))
        text = policy_json(after)
        if self.record is not None:
            self.record.kept(container, "the inline policy before this run's change", document)
        self.call(
            f"Put{principal.capitalize()}Policy",
            todo,
            lambda: put(
                **{f"{principal.capitalize()}Name": holder},
                PolicyName=name,
                PolicyDocument=text,
            ),
            new_ids=lambda _: made_ids(todo),
        )

    def _fits(self, after: Any, limit: int, todo: list[tuple[int, Change]]) -> bool:
        """False (and the changes failed, nothing sent) when IAM would refuse the size."""
        size = iam_read.size(after)
        if size <= limit:
            return True
        why = f"the policy would hold {size} of {limit} {iam_read.UNIT}; nothing was sent"
        self.settle(todo, Failed("LimitExceeded", why))
        return False

    def _pruned(self, arn: str, versions: list[Any], todo: list[tuple[int, Change]]) -> Any:
        """Delete the oldest non-default version when the run allows it (its document, journalled
        first, is returned); else fail the changes and return None."""
        spare = sorted(
            (v for v in versions if not v.get("IsDefaultVersion")), key=lambda v: v["CreateDate"]
        )
        if PRUNE not in self.allow or not spare or self.stopped(todo):
            self.settle(todo, Failed("LimitExceeded", _full(arn)))
            return None
        oldest = spare[0]["VersionId"]
        document = self.client.get_policy_version(PolicyArn=arn, VersionId=oldest)
        kept = document["PolicyVersion"]["Document"]
        if self.record is not None:
            # IAM keeps no copy of a deleted version: the journal does.
            what = f"version {oldest}, deleted to make room (--prune-policy-versions)"
            self.record.kept(arn, what, kept)
        log.info("DeletePolicyVersion %s %s: to make room", arn, oldest)
        self.client.delete_policy_version(PolicyArn=arn, VersionId=oldest)
        return kept

    def _put_back(self, arn: str, kept: Any, todo: list[tuple[int, Change]]) -> None:
        """The new version was refused after a prune: the pruned document becomes a version
        again (not default), so no version's content is lost."""
        try:
            made = self.client.create_policy_version(
                PolicyArn=arn, PolicyDocument=policy_json(kept), SetAsDefault=False
            )["PolicyVersion"]["VersionId"]
            back = f"; the pruned version's document was put back as {made}"
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            back = (f"; the pruned version could not be put back ({aws.target_error(exc).code}): "
                    "its document is in the journal's kept line")  # fmt: skip
        log.info("CreatePolicyVersion %s refused after a prune%s", arn, back)
        for index, _ in todo:
            outcome = self.outcomes.get(index)
            failed = outcome if isinstance(outcome, Failed) else Failed("NotSent", "not sent")
            self.outcomes[index] = Failed(failed.code, failed.message + back)

    def _version(self, arn: str, after: Any, todo: list[tuple[int, Change]]) -> None:
        versions: list[Any] = self.client.list_policy_versions(PolicyArn=arn)["Versions"]
        for version in versions:
            if version.get("IsDefaultVersion"):
                continue
            kept = self.client.get_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
            if kept["PolicyVersion"]["Document"] == after:
                # The version this document was before (a rollback): made default again.
                back = partial(
                    self.client.set_default_policy_version,
                    PolicyArn=arn,
                    VersionId=version["VersionId"],
                )
                self.call("SetDefaultPolicyVersion", todo, back, new_ids=lambda _: made_ids(todo))
                return
        pruned = None
        if len(versions) >= MAX_VERSIONS:
            pruned = self._pruned(arn, versions, todo)
            if pruned is None:
                return
        made = self.call(
            "CreatePolicyVersion",
            todo,
            lambda: self.client.create_policy_version(
                PolicyArn=arn, PolicyDocument=policy_json(after), SetAsDefault=True
            ),
            new_ids=lambda _: made_ids(todo),
        )
        if made is None and pruned is not None:
            self._put_back(arn, pruned, todo)


KIND = IamPolicies()
