"""One API call for a batch of changes: journalled before and after, stopped when interrupted."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import botocore.exceptions

from sgupdater import aws
from sgupdater.models import Applied, Change, Failed, Outcome, Skipped

log = logging.getLogger("sgupdater")

Indexed = list[tuple[int, Change]]


class Recorder(Protocol):
    """Told of each change before it is sent and of its outcome after (the journal)."""

    def before(self, change: Change) -> None: ...

    def after(self, change: Change, outcome: Outcome) -> None: ...

    def kept(self, container: str, what: str, document: Any) -> None: ...


@dataclass(frozen=True, slots=True)
class Batch:
    """The changes to one container, and how their calls are journalled and stopped."""

    container_id: str
    changes: Indexed
    record: Recorder | None = None
    # Set on SIGINT/SIGTERM: calls not yet sent are skipped.
    stop: threading.Event | None = None
    # What the run allows beyond the changes themselves (e.g. "prune_policy_versions").
    allow: frozenset[str] = frozenset()


def settle(
    batch: Indexed, outcome: Outcome, outcomes: dict[int, Outcome], record: Recorder | None
) -> None:
    """Give every change of the batch this outcome, and journal it when there is a journal."""
    for index, change in batch:
        outcomes[index] = outcome
        if record is not None:
            record.after(change, outcome)


class Sender:
    """Sends calls for one container and keeps the outcome of each change."""

    def __init__(self, batch: Batch) -> None:
        self.resource_id = batch.container_id
        self.record = batch.record
        self.stop = batch.stop
        self.outcomes: dict[int, Outcome] = {}
        # Set once something meant to keep or widen access did not happen.
        self.allowing_failed = False

    def pending(self, batch: Batch) -> Indexed:
        """The batch's changes that have no outcome yet."""
        return [(index, change) for index, change in batch.changes if index not in self.outcomes]

    def settle(self, batch: Indexed, outcome: Outcome) -> None:
        """Give every change of the batch this outcome and journal it."""
        settle(batch, outcome, self.outcomes, self.record)

    def carried_out(self, batch: Batch, work: Callable[[], object]) -> dict[int, Outcome]:
        """Run the batch's work; an AWS error fails every change still without an outcome."""
        try:
            work()
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            error = aws.target_error(exc)
            self.settle(self.pending(batch), Failed(error.code, str(error)))
        return self.outcomes

    def stopped(self, batch: Indexed) -> bool:
        """True (and the batch settled as not sent) once the run was interrupted."""
        if self.stop is None or not self.stop.is_set():
            return False
        # Interrupted: what is not sent yet stays as it is; a re-run picks it up.
        self.settle(batch, Skipped("interrupted before it was sent"))
        self.allowing_failed = True
        return True

    def call(
        self,
        what: str,
        batch: Indexed,
        send: Callable[[], Any],
        new_ids: Callable[[Any], dict[int, str]] | None = None,
        hint: Callable[[str], str] | None = None,
        recover: Callable[[botocore.exceptions.ClientError], dict[int, str] | None] | None = None,
    ) -> Any:
        """Send one call for the batch; None when it was not sent or AWS refused it.

        recover: given a refusal, the new ids when the call had in fact been carried out (a
        retry refused for what the lost first attempt did), else None.
        """
        if self.stopped(batch):
            return None
        log.info("%s %s: %d change(s)", what, self.resource_id, len(batch))
        if self.record is not None:
            for _, change in batch:
                self.record.before(change)
        try:
            response = send()
        except botocore.exceptions.ClientError as exc:
            made = recover(exc) if recover is not None else None
            if made is None:
                self._refused(what, batch, exc, hint)
                return None
            log.info("%s %s: a retry met what its first attempt did", what, self.resource_id)
            response, ids = {}, made
        except botocore.exceptions.BotoCoreError as exc:
            self._refused(what, batch, exc, hint)
            return None
        else:
            ids = new_ids(response) if new_ids is not None else {}
        for index, change in batch:
            self.settle([(index, change)], Applied(new_id=ids.get(index)))
        return response

    def _refused(
        self, what: str, batch: Indexed, exc: Exception, hint: Callable[[str], str] | None
    ) -> None:
        error = aws.target_error(exc)
        log.info("%s %s failed: %s", what, self.resource_id, error)
        message = str(error) + (hint(error.code) if hint is not None else "")
        self.settle(batch, Failed(error.code, message))
