"""SIGINT and SIGTERM for a whole command: the first stops the run, a second ends it at once.

The first signal sets STOP: no call is sent after it, targets not started are not started, and
each stage waits at most runner.GRACE_SECONDS for the calls in flight before it reports what was
done and what was not (the journal is closed; a call still unanswered stays in doubt there, and
rollback settles it). At the confirmation prompt it ends the process at once: nothing has
been sent then, and no journal is open.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import typer

# Signals are process-wide, and so is the one run a process carries out.
STOP = threading.Event()
_asking = threading.Event()


class Interrupted(Exception):
    """The run was stopped by a signal before it changed anything; the message says how far."""


@contextmanager
def handled() -> Iterator[None]:
    """Install the handlers for the duration of a command (the main thread only)."""
    STOP.clear()

    def stop(signum: int, frame: FrameType | None) -> None:
        if _asking.is_set():
            # Asked, nothing sent, no journal open: end here, whatever the prompt was doing.
            typer.echo("\nsgupdater: interrupted; nothing was changed", err=True)
            os._exit(130)
        if STOP.is_set():
            typer.echo("sgupdater: interrupted again: quitting now", err=True)
            os._exit(130)
        STOP.set()
        typer.echo(
            "sgupdater: interrupted: sending nothing more, finishing the calls in flight "
            "(2 s at most; interrupt again to quit at once)",
            err=True,
        )

    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, stop) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def asking() -> Iterator[None]:
    """While the operator is asked: Ctrl-C or SIGTERM ends the run there (nothing is changed)."""
    _asking.set()
    try:
        yield
    finally:
        _asking.clear()


def check(what: str) -> None:
    """Stop here, saying how far the run got, if a signal came."""
    if STOP.is_set():
        raise Interrupted(f"interrupted {what}; nothing was changed")
