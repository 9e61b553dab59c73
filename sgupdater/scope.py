"""Which containers of a target a run looks at: filters, opted-in kinds, IaC tags."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_PAGE_SIZE = 1000

# A tag condition: (key, value), where a value of None matches any value of the key.
TagCondition = tuple[str, str | None]

# Tags that say a resource belongs to infrastructure as code, beside CloudFormation's own.
DEFAULT_MANAGED_TAGS: tuple[TagCondition, ...] = (
    ("managed-by", None),
    ("ManagedBy", None),
    ("managed_by", None),
)
_CLOUDFORMATION = "aws:cloudformation:"
_KUBERNETES = (
    ("service.k8s.aws/stack", "service"),
    ("ingress.k8s.aws/stack", "ingress"),
    ("elbv2.k8s.aws/cluster", "cluster"),
)


def tags_of(resource: Any) -> dict[str, str]:
    """A described resource's tags as a dict."""
    return {t["Key"]: t.get("Value", "") for t in resource.get("Tags", [])}


@dataclass(frozen=True, slots=True)
class Scope:
    """Which containers to look at, and which kinds beside those always searched."""

    group_ids: frozenset[str] = frozenset()
    vpc_ids: frozenset[str] = frozenset()
    include_tags: frozenset[TagCondition] = frozenset()
    exclude_tags: frozenset[TagCondition] = frozenset()
    page_size: int = MAX_PAGE_SIZE
    # The switches (kind names' opt-in keys, e.g. "prefix_lists") turned on for this run.
    switches: frozenset[str] = frozenset()
    managed_tags: tuple[TagCondition, ...] = DEFAULT_MANAGED_TAGS

    def wants(self, tags: dict[str, str]) -> bool:
        """True when a container with these tags passes the tag filters."""

        def holds(condition: TagCondition) -> bool:
            key, value = condition
            return key in tags and (value is None or tags[key] == value)

        return all(map(holds, self.include_tags)) and not any(map(holds, self.exclude_tags))

    def managed_by(self, tags: dict[str, str]) -> str:
        """Why a resource with these tags is managed by IaC ("" when it is not)."""
        if any(key.startswith(_CLOUDFORMATION) for key in tags):
            stack = tags.get(_CLOUDFORMATION + "stack-name")
            return f"cloudformation:{stack}" if stack else "cloudformation"
        # The AWS Load Balancer Controller's own groups: it puts back what is changed behind
        # its Service's or Ingress's back (its StackTags: elbv2.k8s.aws/cluster, and
        # service.k8s.aws/stack = namespace/name or ingress.k8s.aws/stack).
        for key, what in _KUBERNETES:
            if key in tags:
                return f"kubernetes:{what} {tags[key]}"
        for key, value in self.managed_tags:
            if key in tags and (value is None or tags[key] == value):
                return f"{key}={tags[key]}"
        return ""
