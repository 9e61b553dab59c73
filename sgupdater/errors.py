"""The one exception hierarchy; every message is safe to print as it is."""

from __future__ import annotations


class SgupdaterError(Exception):
    """Base of every error the tool raises on purpose."""


class InputError(SgupdaterError):
    """Bad input from the command line: exit status 2, nothing changed."""


class ConfigError(InputError):
    """A profile, region or configuration file that cannot be used."""


class TargetError(SgupdaterError):
    """One target (profile, account, region) could not be scanned or changed."""

    def __init__(self, message: str, code: str = "Error") -> None:
        super().__init__(message)
        self.code = code
