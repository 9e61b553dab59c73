"""Every test: in its layer (unit: no server; e2e: the local endpoint), and never near real AWS."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The modules of the longest tests (10 s and more a module, measured with --durations=0): run
# first, so that the two workers do not end with one of them alone on a long test (xdist deals
# tests in collection order, and these sort last by name).
LONGEST_FIRST = ("test_write_truth.py", "test_workers.py", "test_faults.py", "test_examples.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its layer, from its folder (`-m unit` runs the fast layer alone);
    the longest modules first."""
    for item in items:
        layer = "unit" if "unit" in Path(str(item.fspath)).parts else "e2e"
        item.add_marker(getattr(pytest.mark, layer))
    items.sort(key=lambda item: Path(str(item.fspath)).name not in LONGEST_FIRST)


@pytest.fixture(autouse=True)
def no_real_aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS setting of the developer's reaches a test; a stray call meets a closed port."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    # Port 9 (discard) on loopback: nothing answers there.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
