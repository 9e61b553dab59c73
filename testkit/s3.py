"""S3 in the local endpoint: ListBuckets paginated as S3 pages it, buckets that deny a read.

Each patch quotes its source and is proven by tests/test_policy_edges.py.
"""

from __future__ import annotations

import base64
from typing import Any

from moto.core.responses import ActionResult
from moto.s3.exceptions import S3AccessDeniedError, S3ClientError
from moto.s3.models import S3Backend
from moto.s3.responses import S3Response

# Buckets whose GetBucketPolicy answers AccessDenied: routine for a bucket whose policy
# allows reads only through a VPC endpoint.
_denied: set[str] = set()
_original_get_policy = S3Backend.get_bucket_policy
_original_put_policy = S3Backend.put_bucket_policy
# S3 user guide: "Bucket policies are limited to 20 KB in size."
POLICY_LIMIT = 20 * 1024


def deny_policy_reads(bucket: str) -> None:
    """Have GetBucketPolicy of this bucket answer AccessDenied."""
    _denied.add(bucket)


def reset() -> None:
    """Forget the buckets that deny reads."""
    _denied.clear()


def _get_policy(self: S3Backend, bucket_name: str) -> Any:
    if bucket_name in _denied:
        raise S3AccessDeniedError()
    return _original_get_policy(self, bucket_name)


def _put_policy(self: S3Backend, bucket_name: str, policy: bytes) -> None:
    if len(policy) > POLICY_LIMIT:
        # Error code UNVERIFIED: the guide gives the limit, not the answer's code.
        raise S3ClientError("PolicyTooLarge", f"Policies must be less than {POLICY_LIMIT} bytes")
    _original_put_policy(self, bucket_name, policy)


def _all_buckets(self: S3Response) -> Any:
    """ListBuckets with MaxBuckets, ContinuationToken and each bucket's BucketRegion."""
    # ListBuckets: "All unpaginated ListBuckets requests will be rejected for customers whose
    # general purpose bucket quota exceeds 10,000": the local S3 is such an account, so the
    # tool must paginate. MaxBuckets: "min": 1, "max": 10000. moto listed every bucket at once
    # and named no region.
    self.data["Action"] = "ListAllMyBuckets"
    self._authenticate_and_authorize_s3_action()
    limit = self._get_param("max-buckets")
    if limit is None:
        raise S3ClientError(
            "InvalidRequest",
            "unpaginated ListBuckets is rejected for this account: pass MaxBuckets",
        )
    token = self._get_param("continuation-token")
    after = base64.urlsafe_b64decode(token).decode() if token else ""
    every = sorted(self.backend.list_buckets(prefix=None, bucket_region=None, max_buckets=None),
                   key=lambda b: b.name)  # fmt: skip
    listed = [b for b in every if b.name > after][: int(limit)]
    result: dict[str, Any] = {
        "Owner": {"ID": "bcaf1ffd86f41161ca5fb16fd081034f", "DisplayName": "webfile"},
        "Buckets": [
            {"Name": b.name, "CreationDate": b.creation_date_ISO8601, "BucketRegion": b.region_name}
            for b in listed
        ],
    }
    if listed and listed[-1].name != every[-1].name:
        result["ContinuationToken"] = base64.urlsafe_b64encode(listed[-1].name.encode()).decode()
    self.data["Action"] = "ListBuckets"
    return self.serialized(ActionResult(result))


PATCHES: list[tuple[Any, str, Any]] = [
    (S3Backend, "get_bucket_policy", _get_policy),
    (S3Backend, "put_bucket_policy", _put_policy),
    (S3Response, "all_buckets", _all_buckets),
]
