"""Replace a CIDR in every AWS security-group rule that trusts it."""

__version__ = "0.1.0"
