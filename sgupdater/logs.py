"""The tool's own log: -v steps on stderr, never botocore's."""

from __future__ import annotations

import logging
import sys


def set_logging(verbose: bool) -> None:
    """Log our own steps to stderr with -v; never botocore's (its debug has headers)."""
    # Only our own logger: botocore's debug output would carry request headers.
    log = logging.getLogger("sgupdater")
    log.handlers.clear()
    log.propagate = False
    log.setLevel(logging.INFO if verbose else logging.WARNING)
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("sgupdater: %(message)s"))
        log.addHandler(handler)
