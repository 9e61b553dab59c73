"""aws:SourceIp conditions of S3 bucket policies, read once per account.

A bucket policy has no versions and no lock: it is re-read just before it is written, only
its matching values change, and a value gone since is skipped, not written back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import botocore.exceptions

from sgupdater import aws
from sgupdater._types import AccountId, GroupId, KindName
from sgupdater.kinds import policy_doc
from sgupdater.kinds.iam_policies import (
    SWITCH,
    made_ids,
    policy_cell,
    policy_json,
    policy_kept,
    policy_rules,
    policy_traits,
    rewritten,
)
from sgupdater.kinds.interface import KindError, KindScan, Reading
from sgupdater.models import Current, Outcome, Rule, Skipped
from sgupdater.scope import Scope
from sgupdater.sending import Batch, Sender

NAME = KindName("bucket-policy")
_PREFIX = "s3://"
# GetBucketPolicy of a bucket with none.
_NONE = ("NoSuchBucketPolicy", "NoSuchBucket")


def _bucket(container: str) -> str:
    if not container.startswith(_PREFIX) or "/" in container[len(_PREFIX) :]:
        raise KindError(f"{container!r} names no bucket (s3://NAME)", "InvalidBucket")
    return container[len(_PREFIX) :]


def read(client: Any, bucket: str) -> Any | None:
    """The bucket's policy document, None when it has none."""
    # NOTE: a bucket in another region than the client's is reached through botocore's S3
    # region redirection (UNVERIFIED against real S3 here: the local endpoint serves every
    # region at one address).
    try:
        text = client.get_bucket_policy(Bucket=bucket)["Policy"]
    except botocore.exceptions.ClientError as exc:
        if aws.target_error(exc).code in _NONE:
            return None
        raise
    return json.loads(text)


def _needs(action: str) -> Callable[[str], str]:
    # S3 answers a missing permission with "Access Denied" alone: name the action.
    return lambda code: f" (needs {action})" if code == "AccessDenied" else ""


def _put(client: Any, run: Sender, batch: Batch) -> None:
    bucket = _bucket(batch.container_id)
    document = read(client, bucket)
    if document is None:
        run.settle(batch.changes, Skipped("the bucket has no policy any more"))
        return
    after, todo = rewritten(run, batch.changes, document)
    if not todo:
        return
    text = policy_json(after)
    if run.record is not None:
        run.record.kept(batch.container_id, "the bucket policy before this run", document)
    run.call(
        "PutBucketPolicy",
        todo,
        lambda: client.put_bucket_policy(Bucket=bucket, Policy=text),
        new_ids=lambda _: made_ids(todo),
        hint=_needs("s3:PutBucketPolicy"),
    )


class BucketPolicies:
    """aws:SourceIp values in the account's S3 bucket policies (`--policies`)."""

    name = NAME
    service = "s3"
    switch = SWITCH
    # Bucket names: 3 to 63 lowercase letters, digits, dots and hyphens.
    traits = policy_traits(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")

    def scan(self, client: Any, reading: Reading) -> KindScan:
        """The matching values of every bucket policy the account's buckets hold."""
        rules: list[Rule] = []
        owner = reading.account or AccountId("")
        for bucket in client.list_buckets().get("Buckets", []):
            name = bucket["Name"]
            document = read(client, name)
            rules.extend(policy_rules(NAME, (_PREFIX + name, name), document, reading, owner))
        return KindScan(tuple(rules))

    def current(self, client: Any, container_ids: Sequence[str], scope: Scope) -> Iterator[Current]:
        """The matching values of these buckets' policies as they are now."""
        for container in container_ids:
            for hit in policy_doc.hits(read(client, _bucket(container))):
                yield Current(hit.entry, (GroupId(container), None), str(hit.cidr), hit.meaning)

    def apply(self, client: Any, batch: Batch) -> dict[int, Outcome]:
        """Re-read the policy, rewrite its matching values, put it back once."""
        run = Sender(batch)
        return run.carried_out(batch, lambda: _put(client, run, batch))

    def kept(self, rule: Rule) -> bool:
        """A value a Deny names, or an Allow of everyone but it: dropping it lets more in."""
        return policy_kept(rule)

    def container_cell(self, ident: str, name: str, rule_id: str, action: str) -> str:
        """A bucket by its name and the statement holding the value."""
        return policy_cell("bucket policy", name or ident, rule_id)


KIND = BucketPolicies()
