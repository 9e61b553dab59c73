"""aws:SourceIp conditions of IAM policies: customer-managed (default version) and inline.

IAM is global: read once per account (Traits.per_account). A customer-managed policy changes
by a new default version (the old one stays, so rollback sets it back); an inline policy of a
role, user or group is re-read just before it is written, and only its matching values change.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any

import botocore.exceptions

from sgupdater import aws
from sgupdater._types import AccountId, GroupId, KindName
from sgupdater.kinds import policy_doc
from sgupdater.kinds.interface import KindError, KindScan, Reading, Switch, Traits
from sgupdater.models import Change, Current, Failed, Outcome, Rule, Skipped
from sgupdater.scope import PRUNE, Scope
from sgupdater.sending import Batch, Sender

log = logging.getLogger("sgupdater")

NAME = KindName("iam-policy")
# CreatePolicyVersion: "A managed policy can have up to five versions."
MAX_VERSIONS = 5
SWITCH = Switch(
    "policies",
    "--policies",
    "Also aws:SourceIp conditions in IAM policies (managed and inline) and S3 bucket policies.",
)
# Inline policies as containers: role/NAME/POLICY, user/NAME/POLICY, group/NAME/POLICY (IAM
# names never hold a slash).
_INLINE = re.compile(r"^(role|user|group)/([\w+=,.@-]{1,128})/([\w+=,.@-]{1,128})$", re.ASCII)
_MANAGED = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:policy/")
_DETAILS = {"role": "RoleDetailList", "user": "UserDetailList", "group": "GroupDetailList"}
_INLINE_LISTS = {"role": "RolePolicyList", "user": "UserPolicyList", "group": "GroupPolicyList"}


def _inline(container: str) -> tuple[str, str, str]:
    found = _INLINE.fullmatch(container)
    if found is None:
        raise KindError(f"{container!r} names no IAM policy", "InvalidPolicy")
    return found.group(1), found.group(2), found.group(3)


def _call(principal: str, verb: str) -> str:
    return f"{verb}_{principal}_policy"


def _documents(client: Any) -> Iterator[tuple[str, str, Any, int]]:
    """(container, name, document, versions) of every customer-managed and inline policy.

    versions: how many versions a managed policy has (the answer lists them all); 0 inline.
    """
    pages = client.get_paginator("get_account_authorization_details").paginate(
        Filter=["User", "Role", "Group", "LocalManagedPolicy"]
    )
    for page in pages:
        for policy in page.get("Policies", []):
            for version in policy.get("PolicyVersionList", []):
                if version.get("IsDefaultVersion"):
                    # The name is the ARN's last part (moto leaves PolicyName out).
                    name = policy.get("PolicyName") or policy["Arn"].rsplit("/", 1)[-1]
                    versions = len(policy["PolicyVersionList"])
                    yield policy["Arn"], name, version.get("Document"), versions
        for principal, listing in _DETAILS.items():
            for holder in page.get(listing, []):
                name = holder[f"{principal.capitalize()}Name"]
                for inline in holder.get(_INLINE_LISTS[principal], []):
                    where = f"{principal}/{name}/{inline['PolicyName']}"
                    label = f"{principal} {name}: {inline['PolicyName']}"
                    yield where, label, inline.get("PolicyDocument"), 0


def policy_rules(
    kind: KindName, where: tuple[str, str], document: Any, reading: Reading, owner: AccountId
) -> list[Rule]:
    """One entry per relevant aws:SourceIp value of a policy (container id, name)."""
    container, name = where
    return [
        Rule(
            kind=kind,
            account=owner,
            region=reading.target.region,
            group_id=GroupId(container),
            group_name=name,
            cidr=hit.cidr,
            rule_id=hit.entry,
            description=hit.meaning,
        )
        for hit in policy_doc.hits(document)
        if reading.relevant(hit.cidr)
    ]


def read(client: Any, container: str) -> Any:
    """A policy's document as it is now: the default version, or the inline document."""
    if _MANAGED.match(container):
        policy = client.get_policy(PolicyArn=container)["Policy"]
        version = client.get_policy_version(
            PolicyArn=container, VersionId=policy["DefaultVersionId"]
        )
        return version["PolicyVersion"]["Document"]
    principal, holder, name = _inline(container)
    answer = getattr(client, _call(principal, "get"))(
        **{f"{principal.capitalize()}Name": holder, "PolicyName": name}
    )
    return answer["PolicyDocument"]


def _versions(client: Any, arn: str) -> list[Any]:
    versions: list[Any] = client.list_policy_versions(PolicyArn=arn)["Versions"]
    return versions


def _full(arn: str) -> str:
    return (
        f"the policy has {MAX_VERSIONS} versions, as many as IAM keeps: delete one "
        f"(aws iam delete-policy-version --policy-arn {arn} --version-id …) or pass "
        "--prune-policy-versions, and run again"
    )


def policy_traits(container_form: str) -> Traits:
    """A policy kind: one write per policy carrying every change to it, values repeating
    across statements, global to the account."""
    return Traits(
        has_traffic=False,
        atomic=True,
        values_repeat=True,
        per_account=True,
        container_form=container_form,
        entry_form=policy_doc.ENTRY_FORM,
    )


class IamPolicies:
    """aws:SourceIp values in customer-managed and inline IAM policies (`--policies`)."""

    name = NAME
    service = "iam"
    switch = SWITCH
    traits = policy_traits(
        rf"{_MANAGED.pattern.strip('^')}[\w+=,.@/-]{{1,512}}|{_INLINE.pattern.strip('^$')}"
    )

    def scan(self, client: Any, reading: Reading) -> KindScan:
        """The matching values of every policy, and the managed ones with no version to spare."""
        rules: list[Rule] = []
        locked: dict[str, str] = {}
        owner = reading.account or AccountId("")
        pruned = PRUNE in reading.scope.switches
        for container, name, document, versions in _documents(client):
            found = policy_rules(NAME, (container, name), document, reading, owner)
            if found and not pruned and versions >= MAX_VERSIONS:
                locked[container] = _full(container)
            rules.extend(found)
        return KindScan(tuple(rules), locked=locked)

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
                yield Current(hit.entry, (GroupId(container), None), str(hit.cidr), hit.meaning)

    def apply(self, client: Any, batch: Batch) -> dict[int, Outcome]:
        """Rewrite the policy's matching values, then write it once."""
        run = _PolicyRun(client, batch)
        return run.carried_out(batch, run.write)

    def kept(self, rule: Rule) -> bool:
        """A value a Deny names, or an Allow of everyone but it: dropping it lets more in."""
        return policy_kept(rule)

    def container_cell(self, ident: str, name: str, rule_id: str, action: str) -> str:
        """A policy by its name and the statement holding the value."""
        return policy_cell("policy", name or ident, rule_id)


def policy_kept(rule: Rule) -> bool:
    """True for a value whose removal widens (see policy_doc.widens_if_removed)."""
    effect, _, rest = (rule.description or "").partition(" ")
    return policy_doc.widens_if_removed(effect, rest.split(" ")[0])


def policy_cell(what: str, name: str, rule_id: str) -> str:
    """A policy as tables show it: what, its name, and the statement (Sid or #index)."""
    statement = rule_id.split("|", 1)[0] if rule_id else ""
    return f"{what} {name} [{statement}]" if statement else f"{what} {name}"


def rewritten(
    sender: Sender, changes: list[tuple[int, Change]], document: Any
) -> tuple[Any, list[tuple[int, Change]]]:
    """The document after the changes still possible; those not are settled as skipped."""
    after = copy.deepcopy(document)
    todo: list[tuple[int, Change]] = []
    for index, change in changes:
        rule = change.rule
        try:
            why = policy_doc.rewrite(after, rule.rule_id, change.action, rule.cidr, change.new_cidr)
        except KindError as exc:
            why = f"{exc}; left as it is"
        if why:
            sender.settle([(index, change)], Skipped(why))
        else:
            todo.append((index, change))
    return after, todo


def made_ids(todo: list[tuple[int, Change]]) -> dict[int, str]:
    """The entry id each added or replaced value has now, for rollback to find it."""
    ids: dict[int, str] = {}
    for index, change in todo:
        if change.action in ("authorize", "modify") and change.new_cidr is not None:
            ref, operator = policy_doc.parse_entry(change.rule.rule_id)
            ids[index] = policy_doc.entry_of(ref, operator, change.new_cidr)
    return ids


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
        if _MANAGED.match(container):
            self._version(container, after, todo)
            return
        principal, holder, name = _inline(container)
        put = getattr(self.client, _call(principal, "put"))
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

    def _pruned(self, arn: str, versions: list[Any], todo: list[tuple[int, Change]]) -> bool:
        """Delete the oldest non-default version when the run allows it; else fail the changes."""
        spare = sorted(
            (v for v in versions if not v.get("IsDefaultVersion")), key=lambda v: v["CreateDate"]
        )
        if PRUNE not in self.allow or not spare or self.stopped(todo):
            self.settle(todo, Failed("LimitExceeded", _full(arn)))
            return False
        oldest = spare[0]["VersionId"]
        document = self.client.get_policy_version(PolicyArn=arn, VersionId=oldest)
        if self.record is not None:
            # IAM keeps no copy of a deleted version: the journal does.
            what = f"version {oldest}, deleted to make room (--prune-policy-versions)"
            self.record.kept(arn, what, document["PolicyVersion"]["Document"])
        log.info("DeletePolicyVersion %s %s: to make room", arn, oldest)
        self.client.delete_policy_version(PolicyArn=arn, VersionId=oldest)
        return True

    def _version(self, arn: str, after: Any, todo: list[tuple[int, Change]]) -> None:
        versions = _versions(self.client, arn)
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
        if len(versions) >= MAX_VERSIONS and not self._pruned(arn, versions, todo):
            return
        self.call(
            "CreatePolicyVersion",
            todo,
            lambda: self.client.create_policy_version(
                PolicyArn=arn, PolicyDocument=policy_json(after), SetAsDefault=True
            ),
            new_ids=lambda _: made_ids(todo),
        )


def policy_json(document: Any) -> str:
    """A document as IAM and S3 take it: JSON, keys in the order they were read."""
    # PutRolePolicy/CreatePolicyVersion PolicyDocument "pattern": "[\u0009\u000A\u000D\u0020-
    # \u00FF]+": json's default ASCII escapes keep any other character of a Sid in range.
    return json.dumps(document, separators=(",", ":"), ensure_ascii=True)


KIND = IamPolicies()
