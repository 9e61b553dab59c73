"""Allow ``python -m sgupdater``."""

from sgupdater.cli.app import run

run()
