"""Organizations in the local endpoint: accounts in every lifecycle state (tests only)."""

from __future__ import annotations

import boto3
from moto.organizations.models import organizations_backends

MANAGEMENT = "123456789012"


def set_account_state(account: str, state: str | None, status: str | None = None) -> None:
    """Put a member account in a state ListAccounts reports (None: the field is absent).

    moto only closes accounts to SUSPENDED; Organizations also reports PENDING_ACTIVATION,
    PENDING_CLOSURE and CLOSED in Account.State, and Account.Status is being retired.
    """
    backend = organizations_backends[MANAGEMENT]["aws"]
    found = next(a for a in backend.accounts if a.id == account)
    found.state = state  # type: ignore[assignment]
    found.status = status  # type: ignore[assignment]


def create(*names: str, region: str = "us-east-1") -> list[str]:
    """An Organization with a member account per name, through the endpoint; their ids."""
    org = boto3.client("organizations", region_name=region)
    org.create_organization(FeatureSet="ALL")
    made = []
    for name in names:
        status = org.create_account(AccountName=name, Email=f"{name}@example.com")
        made.append(status["CreateAccountStatus"]["AccountId"])
    return made
