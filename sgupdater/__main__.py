"""Allow ``python -m sgupdater``."""

from sgupdater.cli import run

run()
