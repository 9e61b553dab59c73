"""IAM in the local endpoint: size quotas and protected roles as IAM enforces them; a hook.

Each patch quotes its source and is proven by tests/test_policy_edges.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from moto.iam.exceptions import IAMException, LimitExceededException
from moto.iam.models import IAMBackend

_SPACE = re.compile(r"\s")
# IAM and STS quotas: "Managed policy size: 6,144 characters"; inline aggregates per principal:
# "User policy size cannot exceed 2,048 characters", "Role policy size cannot exceed 10,240
# characters", "Group policy size cannot exceed 5,120 characters"; "IAM does not count white
# space when calculating the size of a policy against these limitations."
MANAGED_LIMIT = 6_144
INLINE_LIMITS = {"role": 10_240, "user": 2_048, "group": 5_120}
# Roles IAM refuses to change: a service-linked role ("You cannot edit the permissions policy
# of a service-linked role" — its service does) and IAM Identity Center's roles under
# /aws-reserved/sso.amazonaws.com/ ("you can't modify these roles in IAM"); IAM answers
# UnmodifiableEntity (an error shape of PutRolePolicy and DeleteRolePolicy in the model).
PROTECTED_PATHS = ("/aws-service-role/", "/aws-reserved/")
# Scripted refusals of the next call of a backend method (name → (code, message)): a write
# that IAM refuses for a reason the tool cannot see coming (a permission, a malformed document).
_refusals: dict[str, list[tuple[str, str]]] = {}


class UnmodifiableEntity(IAMException):
    code = "UnmodifiableEntity"


class _Scripted(IAMException):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def _size(text: str) -> int:
    return len(_SPACE.sub("", text))


def refuse_next(method: str, code: str, message: str) -> None:
    """Have the next call of this backend method (e.g. create_policy_version) refused."""
    _refusals.setdefault(method, []).append((code, message))


def reset() -> None:
    """Forget scripted refusals (each test starts clean)."""
    _refusals.clear()


def _scripted(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    def call(self: IAMBackend, *args: Any, **kwargs: Any) -> Any:
        waiting = _refusals.get(name)
        if waiting:
            raise _Scripted(*waiting.pop(0))
        return original(self, *args, **kwargs)

    return call


def _managed(original: Callable[..., Any], document_at: int, key: str) -> Callable[..., Any]:
    def checked(self: IAMBackend, *args: Any, **kwargs: Any) -> Any:
        document = kwargs[key] if key in kwargs else args[document_at]
        if _size(document) > MANAGED_LIMIT:
            raise LimitExceededException(f"Cannot exceed quota for PolicySize: {MANAGED_LIMIT}")
        return original(self, *args, **kwargs)

    return checked


def _inline(principal: str, original: Callable[..., Any]) -> Callable[..., Any]:
    limit = INLINE_LIMITS[principal]

    def checked(self: IAMBackend, name: str, policy_name: str, policy_json: str) -> Any:
        holder = getattr(self, f"get_{principal}")(name)
        path = str(getattr(holder, "path", "/"))
        if principal == "role" and path.startswith(PROTECTED_PATHS):
            raise UnmodifiableEntity(
                f"Cannot perform the operation on the protected role '{name}' - this role is "
                "only modifiable by AWS"
            )
        others = sum(_size(str(t)) for n, t in holder.policies.items() if n != policy_name)
        if others + _size(policy_json) > limit:
            raise LimitExceededException(
                f"Maximum policy size of {limit} bytes exceeded for {principal} {name}"
            )
        return original(self, name, policy_name, policy_json)

    return checked


def _delete_role_policy(original: Callable[..., Any]) -> Callable[..., Any]:
    def checked(self: IAMBackend, role_name: str, policy_name: str) -> Any:
        if str(self.get_role(role_name).path).startswith(PROTECTED_PATHS):
            raise UnmodifiableEntity(
                f"Cannot perform the operation on the protected role '{role_name}'"
            )
        return original(self, role_name, policy_name)

    return checked


PATCHES: list[tuple[Any, str, Any]] = [
    (IAMBackend, "create_policy", _managed(IAMBackend.create_policy, 2, "policy_document")),
    (
        IAMBackend,
        "create_policy_version",
        _scripted(
            "create_policy_version",
            _managed(IAMBackend.create_policy_version, 1, "policy_document"),
        ),
    ),
    (IAMBackend, "put_role_policy", _inline("role", IAMBackend.put_role_policy)),
    (IAMBackend, "put_user_policy", _inline("user", IAMBackend.put_user_policy)),
    (IAMBackend, "put_group_policy", _inline("group", IAMBackend.put_group_policy)),
    (IAMBackend, "delete_role_policy", _delete_role_policy(IAMBackend.delete_role_policy)),
]


def provision_inline(role: str, name: str, document: str, account: str = "123456789012") -> None:
    """Put an inline policy on a role as AWS itself does (Identity Center provisioning one of
    its roles): past the refusal an operator's call meets."""
    from moto.iam.models import iam_backends

    iam_backends[account]["global"].get_role(role).put_policy(name, document)
