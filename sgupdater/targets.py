"""Which (credentials, region) pairs a run visits."""

from __future__ import annotations

from collections.abc import Sequence

from sgupdater import aws
from sgupdater._types import Region
from sgupdater.errors import ConfigError
from sgupdater.models import Target


def resolve(profiles: Sequence[str], regions: Sequence[str]) -> list[Target]:
    """Expand profiles and regions into targets, refusing unknown profiles and regions."""
    names: list[str | None] = list(dict.fromkeys(profiles)) or [None]
    targets: list[Target] = []
    for profile in names:
        sess = aws.session(profile)
        wanted = list(dict.fromkeys(regions))
        if not wanted:
            default = aws.region_of(sess)
            if not default:
                who = f"profile {profile!r}" if profile else "the default credentials"
                raise ConfigError(f"no region for {who}: pass --region or set AWS_REGION")
            wanted = [default]
        known = aws.known_regions(sess)
        for region in wanted:
            if region not in known:
                raise ConfigError(f"unknown region {region!r}")
            targets.append(Target(region=Region(region), profile=profile))
    return targets
