"""WAFv2 IP sets in the local endpoint: refused where WAF refuses; a hook for concurrent edits."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from typing import Any

from moto.wafv2.exceptions import WAFv2ClientError
from moto.wafv2.models import FakeIPSet, WAFV2Backend
from moto.wafv2.responses import WAFV2Response

_original_update = FakeIPSet.update
_original_backend_update = WAFV2Backend.update_ip_set
# Run once, just before the next UpdateIPSet is carried out: another operator's edit.
_before_next_update: list[Callable[[FakeIPSet], None]] = []


class _Invalid(WAFv2ClientError):
    def __init__(self, message: str) -> None:
        # Error code as the service model lists it for these calls; message wording UNVERIFIED.
        super().__init__("WAFInvalidParameterException", message)


def _update(self: FakeIPSet, description: str | None, addresses: list[str]) -> None:
    # UpdateIPSet: "This operation completely replaces the mutable specifications that you
    # already have for the IP set with the ones that you provide to this call." moto kept the
    # old description when none was sent; WAF drops it.
    _original_update(self, description or "", addresses)


def _addresses_valid(addresses: list[str] | None) -> None:
    # IPSet.Addresses: "WAF supports all IPv4 and IPv6 CIDR ranges except for /0."
    for text in addresses or []:
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError as exc:
            raise _Invalid(f"{text!r} is not a CIDR range") from exc
        if network.prefixlen == 0:
            raise _Invalid(f"{text}: WAF supports every CIDR range except /0")


def _backend_update(self: WAFV2Backend, *args: Any, **kwargs: Any) -> Any:
    """UpdateIPSet with the addresses checked, after any scripted concurrent edit."""
    addresses = kwargs.get("addresses", args[4] if len(args) > 4 else None)
    _addresses_valid(addresses)
    if _before_next_update:
        arn_sets = list(self.ip_sets.values())
        hook = _before_next_update.pop(0)
        for ip_set in arn_sets:
            hook(ip_set)
    return _original_backend_update(self, *args, **kwargs)


def before_next_update(edit: Callable[[FakeIPSet], None]) -> None:
    """Have `edit` change the sets (each in turn) just before the next UpdateIPSet: a race."""
    _before_next_update.append(edit)


def _us_east_1_for_cloudfront(method: Callable[[WAFV2Response], Any]) -> Any:
    def checked(self: WAFV2Response) -> Any:
        # Scope: "To work with CloudFront, you must also specify the Region US East (N.
        # Virginia)". moto served CLOUDFRONT sets from any region.
        scope = self._get_param("Scope") or json.loads(self.body or "{}").get("Scope")
        if scope == "CLOUDFRONT" and self.region != "us-east-1":
            raise _Invalid("the CLOUDFRONT scope is served in us-east-1 only")
        return method(self)

    return checked


PATCHES: list[tuple[Any, str, Any]] = [
    (FakeIPSet, "update", _update),
    (WAFV2Backend, "update_ip_set", _backend_update),
    *(
        (WAFV2Response, name, _us_east_1_for_cloudfront(getattr(WAFV2Response, name)))
        for name in ("list_ip_sets", "get_ip_set", "update_ip_set", "create_ip_set")
    ),
]
