"""Reading IAM for the policy kind: every policy, its size against its quota, what it governs.

One paginated GetAccountAuthorizationDetails answers all of it: documents (managed policies'
every version), the roles' paths (protected ones), and which policies apply to which role,
user and group (for whether a policy governs the caller's own calls).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sgupdater.kinds.interface import KindError
from sgupdater.models import Quota

INLINE = re.compile(r"^(role|user|group)/([\w+=,.@-]{1,128})/([\w+=,.@-]{1,128})$", re.ASCII)
MANAGED = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:policy/", re.ASCII)
_DETAILS = {"role": "RoleDetailList", "user": "UserDetailList", "group": "GroupDetailList"}
_INLINE_LISTS = {"role": "RolePolicyList", "user": "UserPolicyList", "group": "GroupPolicyList"}
# IAM and STS quotas: "Managed policy size: 6,144 characters"; the aggregate of a principal's
# inline policies: "User policy size cannot exceed 2,048 characters", "Role policy size cannot
# exceed 10,240 characters", "Group policy size cannot exceed 5,120 characters"; "IAM does not
# count white space when calculating the size of a policy against these limitations."
MANAGED_LIMIT = 6_144
INLINE_LIMITS = {"role": 10_240, "user": 2_048, "group": 5_120}
UNIT = "characters (not counting white space)"
_SPACE = re.compile(r"\s")
# Roles whose policies IAM refuses to change (UnmodifiableEntity), and why, by path prefix.
_PROTECTED = (
    (
        "/aws-reserved/sso.amazonaws.com/",
        "an IAM Identity Center role: IAM refuses changes (UnmodifiableEntity) and Identity "
        "Center re-provisions it from its permission set; change the permission set instead",
    ),
    ("/aws-reserved/", "a role AWS reserves (/aws-reserved/): IAM refuses changes"),
    (
        "/aws-service-role/",
        "a service-linked role: its service owns its policies and IAM refuses changes "
        "(UnmodifiableEntity)",
    ),
)


def policy_json(document: Any) -> str:
    """A document as IAM and S3 take it: JSON, keys in the order they were read."""
    # PutRolePolicy/CreatePolicyVersion PolicyDocument "pattern": "[\u0009\u000A\u000D\u0020-
    # \u00FF]+": json's default ASCII escapes keep any other character of a Sid in range.
    return json.dumps(document, separators=(",", ":"), ensure_ascii=True)


def size(document: Any) -> int:
    """A document's size as IAM counts it: characters, white space not counted.

    UNVERIFIED: whether IAM counts a JSON escape (\\u00e9) as one character or six; we count
    the compact JSON we send, escapes whole, which can only overestimate.
    """
    return len(_SPACE.sub("", policy_json(document)))


def inline(container: str) -> tuple[str, str, str]:
    """Principal kind, principal name and policy name of an inline policy's container."""
    found = INLINE.fullmatch(container)
    if found is None:
        raise KindError(f"{container!r} names no IAM policy", "InvalidPolicy")
    return found.group(1), found.group(2), found.group(3)


def call(principal: str, verb: str) -> str:
    """The client method for an inline policy of this principal, e.g. put_role_policy."""
    return f"{verb}_{principal}_policy"


@dataclass(frozen=True, slots=True)
class Held:
    """One policy: its container id, name, document, version count, quota, protection."""

    container: str
    name: str
    document: Any
    versions: int
    quota: Quota
    protected: str = ""


@dataclass
class Inventory:
    """Every policy of the account, and which apply to each principal ("role/NAME")."""

    policies: list[Held] = field(default_factory=list)
    governs: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def governing(self, principal: str) -> set[str]:
        """The containers of every policy that applies to this principal."""
        return self.governs.get(principal, set())


def _managed(page: Any) -> Iterator[Held]:
    for policy in page.get("Policies", []):
        for version in policy.get("PolicyVersionList", []):
            if version.get("IsDefaultVersion"):
                # The name is the ARN's last part (moto leaves PolicyName out).
                name = policy.get("PolicyName") or policy["Arn"].rsplit("/", 1)[-1]
                document = version.get("Document")
                quota = Quota(policy["Arn"], size(document), MANAGED_LIMIT, UNIT)
                yield Held(policy["Arn"], name, document, len(policy["PolicyVersionList"]), quota)


def _protected(holder: Any) -> str:
    path = str(holder.get("Path", "/"))
    return next((why for prefix, why in _PROTECTED if path.startswith(prefix)), "")


def _inline_of(principal: str, holder: Any, found: Inventory) -> None:
    name = holder[f"{principal.capitalize()}Name"]
    who = f"{principal}/{name}"
    documents = holder.get(_INLINE_LISTS[principal], [])
    used = sum(size(d.get("PolicyDocument")) for d in documents)
    quota = Quota(who, used, INLINE_LIMITS[principal], UNIT)
    protected = _protected(holder) if principal == "role" else ""
    for policy in documents:
        container = f"{who}/{policy['PolicyName']}"
        label = f"{principal} {name}: {policy['PolicyName']}"
        document = policy.get("PolicyDocument")
        found.policies.append(Held(container, label, document, 0, quota, protected))
        found.governs[who].add(container)
    for attached in holder.get("AttachedManagedPolicies", []):
        found.governs[who].add(attached["PolicyArn"])
    for group in holder.get("GroupList", []):
        # A user is governed by its groups' policies too: joined once every page is read.
        found.governs[who].add(f"group/{group}")


def inventory(client: Any) -> Inventory:
    """Every customer-managed and inline policy of the account, paginated."""
    found = Inventory()
    pages = client.get_paginator("get_account_authorization_details").paginate(
        Filter=["User", "Role", "Group", "LocalManagedPolicy"]
    )
    for page in pages:
        found.policies.extend(_managed(page))
        for principal, listing in _DETAILS.items():
            for holder in page.get(listing, []):
                _inline_of(principal, holder, found)
    for who, held in found.governs.items():
        if who.startswith("user/"):
            groups = {g for g in held if g.startswith("group/") and g.count("/") == 1}
            for group in groups:
                held |= found.governs.get(group, set())
            held -= groups
    return found


def principal_of(caller_arn: str) -> str:
    """The IAM principal ("role/NAME", "user/NAME") a caller's ARN acts as; "" for root."""
    # arn:aws:sts::111122223333:assumed-role/NAME/SESSION, arn:aws:iam::111122223333:user/P/NAME
    resource = caller_arn.split(":", 5)[-1]
    kind, _, rest = resource.partition("/")
    if kind == "assumed-role":
        return f"role/{rest.split('/', 1)[0]}"
    if kind == "user":
        return f"user/{rest.rsplit('/', 1)[-1]}"
    return ""
