"""aws:SourceIp conditions of S3 bucket policies, read once per account.

A bucket policy has no versions and no lock: it is re-read just before it is written, only
its matching values change, and a value gone since is skipped, not written back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import botocore.exceptions

from sgupdater._types import AccountId, ContainerId, KindName
from sgupdater.aws import sessions as aws
from sgupdater.kinds.interface import Batch, KindError, KindScan, Reading, Recorded, Safety, Switch
from sgupdater.kinds.policies import document as policy_doc
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
from sgupdater.kinds.policies.iam_read import policy_json
from sgupdater.kinds.sending import Sender
from sgupdater.models import Change, Current, Entry, Failed, ItemFailure, Outcome, Quota, Skipped
from sgupdater.scope import Scope

NAME = KindName("bucket-policy")
_PREFIX = "s3://"
# GetBucketPolicy of a bucket with none.
_NONE = ("NoSuchBucketPolicy", "NoSuchBucket")
# S3 user guide, "Bucket policies and user policies": "Bucket policies are limited to 20 KB in
# size." (counted here in bytes of the JSON we send).
LIMIT = 20 * 1024
UNIT = "bytes"
# ListBuckets: "All unpaginated ListBuckets requests will be rejected for customers whose
# general purpose bucket quota exceeds 10,000"; MaxBuckets "min": 1, "max": 10000.
_PAGE = 1000


def _bucket(container: str) -> str:
    if not container.startswith(_PREFIX) or "/" in container[len(_PREFIX) :]:
        raise KindError(f"{container!r} names no bucket (s3://NAME)", "InvalidBucket")
    return container[len(_PREFIX) :]


def read(client: Any, bucket: str) -> tuple[Any, int] | None:
    """The bucket's policy document and its size in bytes; None when it has none."""
    # NOTE: apply reaches a bucket of another region through botocore's S3 region redirection
    # (UNVERIFIED against real S3 here: the local endpoint serves every region at one address);
    # the scan sends each bucket's reads to the region ListBuckets names.
    try:
        text = client.get_bucket_policy(Bucket=bucket)["Policy"]
    except botocore.exceptions.ClientError as exc:
        if aws.target_error(exc).code in _NONE:
            return None
        raise
    return json.loads(text), len(text.encode("utf-8"))


def _needs(action: str) -> Callable[[str], str]:
    # S3 answers a missing permission with "Access Denied" alone: name the action.
    return lambda code: f" (needs {action})" if code == "AccessDenied" else ""


def _put(client: Any, run: Sender, batch: Batch) -> None:
    bucket = _bucket(batch.container_id)
    found = read(client, bucket)
    if found is None:
        run.settle(batch.changes, Skipped("the bucket has no policy any more", settled=True))
        return
    document = found[0]
    after, todo = rewritten(run, batch.changes, document)
    if not todo:
        return
    text = policy_json(after)
    size = len(text.encode("utf-8"))
    if size > LIMIT:
        why = f"the bucket policy would hold {size} of {LIMIT} {UNIT}; nothing was sent"
        run.settle(todo, Failed("PolicyTooLarge", why))
        return
    if run.record is not None:
        run.record.kept(batch.container_id, "the bucket policy before this run", document)
    run.call(
        "PutBucketPolicy",
        todo,
        lambda: client.put_bucket_policy(Bucket=bucket, Policy=text),
        new_ids=lambda _: made_ids(todo),
        hint=_needs("s3:PutBucketPolicy"),
    )


def _buckets(client: Any) -> Iterator[Any]:
    """Every bucket of the account, paginated (with the region each lives in)."""
    for page in client.get_paginator("list_buckets").paginate(MaxBuckets=_PAGE):
        yield from page.get("Buckets", [])


class BucketPolicies:
    """aws:SourceIp values in the account's S3 bucket policies (`--policies`)."""

    name = NAME
    service = "s3"
    switch = SWITCH
    # Not searched through AWS Config: --inventory refuses a run that switches it on.
    recorded: Recorded | None = None
    allowances: tuple[Switch, ...] = ()
    # Bucket names: 3 to 63 lowercase letters, digits, dots and hyphens.
    traits = policy_traits(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "bucket policy")

    def scan(self, client: Any, reading: Reading) -> KindScan:
        """The matching values of every bucket policy; a bucket that cannot be read fails alone."""
        rules: list[Entry] = []
        quotas: dict[str, Quota] = {}
        failures: list[ItemFailure] = []
        owner = reading.account or AccountId("")
        for bucket in _buckets(client):
            name, container = bucket["Name"], _PREFIX + bucket["Name"]
            where = bucket.get("BucketRegion")
            reader = reading.clients(f"s3@{where}") if where and reading.clients else client
            try:
                found = read(reader, name)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
                # Routine for a bucket locked to a VPC endpoint: the rest are still read.
                error = aws.target_error(exc)
                failures.append(ItemFailure(NAME, container, error.code, str(error)))
                continue
            if found is None:
                continue
            matched = policy_rules(NAME, (container, name), found[0], reading, owner)
            if matched:
                quotas[container] = Quota(container, found[1], LIMIT, UNIT)
                rules.extend(matched)
        return KindScan(tuple(rules), quotas=quotas, failures=tuple(failures))

    def current(self, client: Any, container_ids: Sequence[str], scope: Scope) -> Iterator[Current]:
        """The matching values of these buckets' policies as they are now."""
        for container in container_ids:
            found = read(client, _bucket(container))
            for hit in policy_doc.hits(found[0] if found is not None else None):
                yield Current(hit.entry, (ContainerId(container), None), str(hit.cidr), hit.meaning)

    def apply(self, client: Any, batch: Batch) -> dict[int, Outcome]:
        """Re-read the policy, rewrite its matching values, put it back once."""
        run = Sender(batch)
        return run.carried_out(batch, lambda: _put(client, run, batch))

    def safety(self, rule: Entry) -> Safety:
        """Restricting where removal widens; a bucket policy governs who may call S3 on it."""
        return policy_safety(rule)

    def cost(self, change: Change) -> int:
        """Bytes the change adds to the policy (CIDRs are ASCII: a character is a byte)."""
        return policy_cost(change)

    def container_cell(self, ident: str, name: str, rule_id: str, action: str) -> str:
        """A bucket by its name and the statement holding the value."""
        return policy_cell("bucket policy", name or ident, rule_id)


KIND = BucketPolicies()
