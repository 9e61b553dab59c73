"""A run's settings are picklable values; its live side (sessions, stop event) is built apart."""

from __future__ import annotations

import pickle

from sgupdater.engine.runner import Options, Run
from sgupdater.scope import Scope


def test_settings_cross_a_process_boundary_as_they_are_and_hold_nothing_live() -> None:
    options = Options(Scope(switches=frozenset({"waf"})), concurrency=7, home_region="eu-west-1")
    assert pickle.loads(pickle.dumps(options)) == options
    assert not hasattr(options, "sessions")
    run = Run(options)
    assert run.options is options
    assert not run.stop.is_set()
    # Each process's live side is its own.
    assert Run(options).sessions is not run.sessions
