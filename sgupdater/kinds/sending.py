"""One API call for a batch of changes: journalled before and after, stopped when interrupted.

The machinery every kind's writes go through (kinds subclass Sender); the records it works on
(Batch, Recorder, settle) are the boundary's, in interface.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import botocore.exceptions

from sgupdater.aws import sessions as aws
from sgupdater.kinds.interface import Batch, Indexed, settle
from sgupdater.models import IN_DOUBT, IN_DOUBT_CODE, Applied, Failed, Found, Outcome, Skipped

log = logging.getLogger("sgupdater")

# Errors raised before a request left: the call was certainly not made.
_NOT_SENT = (
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ConnectTimeoutError,
    botocore.exceptions.NoCredentialsError,
    botocore.exceptions.ParamValidationError,
)


class Sender:
    """Sends calls for one container and keeps the outcome of each change."""

    def __init__(self, batch: Batch) -> None:
        self.resource_id = batch.container_id
        self.record = batch.record
        self.stop = batch.stop
        self.outcomes: dict[int, Outcome] = {}
        # Set once something meant to keep or widen access did not happen.
        self.allowing_failed = False
        self.check = batch.check

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

    def failed_with(self, batch: Indexed, codes: tuple[str, ...]) -> Indexed:
        """The changes of the batch whose outcome is a failure with one of these codes."""
        return [
            (index, change)
            for index, change in batch
            if isinstance(outcome := self.outcomes.get(index), Failed) and outcome.code in codes
        ]

    def all_applied(self, batch: Indexed) -> bool:
        """True when every change of the batch was applied."""
        return all(isinstance(self.outcomes.get(index), Applied) for index, _ in batch)

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
    ) -> Any:
        """Send one call for the batch; None when it was not sent or did not answer success.

        After an error, each change's outcome is what the container shows when read again
        (Batch.check): applied, failed (untouched), or in doubt.
        """
        if self.stopped(batch):
            return None
        log.info("%s %s: %d change(s)", what, self.resource_id, len(batch))
        if self.record is not None:
            for _, change in batch:
                self.record.before(change)
        try:
            response = send()
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            self._refused(what, batch, exc, hint)
            return None
        ids = new_ids(response) if new_ids is not None else {}
        for index, change in batch:
            self.settle([(index, change)], Applied(new_id=ids.get(index)))
        return response

    def _refused(
        self, what: str, batch: Indexed, exc: Exception, hint: Callable[[str], str] | None
    ) -> None:
        """Record the truth of a call that failed: read again when it may have been made."""
        error = aws.target_error(exc)
        log.info("%s %s failed: %s", what, self.resource_id, error)
        failed = Failed(error.code, str(error) + (hint(error.code) if hint is not None else ""))
        if self.check is None or isinstance(exc, _NOT_SENT):
            self.settle(batch, failed)
            return
        try:
            found = self.check(batch)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as again:
            log.info("%s: could not read it again: %s", self.resource_id, aws.target_error(again))
            found = {}
        for index, change in batch:
            state = found.get(index, Found("unknown"))
            if state.state == "done":
                # A retry met what its lost first attempt did, or part of the call landed.
                log.info("%s %s: in place despite %s", what, self.resource_id, error.code)
                self.settle([(index, change)], Applied(new_id=state.new_id))
            elif state.state == "untouched":
                self.settle([(index, change)], failed)
            else:
                why = f"{IN_DOUBT}: {error}; read again, the entry shows neither state"
                self.settle([(index, change)], Failed(IN_DOUBT_CODE, why))
