"""What every event recorder complaintlog uses must do, checked the same way on each store."""

from __future__ import annotations

from uuid import uuid4

import pytest
from eventsourcing.persistence import ApplicationRecorder, IntegrityError, StoredEvent


def check_a_taken_version_fails_the_whole_batch(recorder: ApplicationRecorder) -> None:
    """A batch holding one version already recorded raises and records none of its events."""

    def events(originator: object, versions: range) -> list[StoredEvent]:
        return [StoredEvent(originator, v, "t:Happened", b'{"v":%d}' % v) for v in versions]

    a = uuid4()
    recorder.insert_events(events(a, range(1, 3)))
    with pytest.raises(IntegrityError):
        recorder.insert_events(events(uuid4(), range(1, 4)) + events(a, range(2, 3)))
    assert recorder.max_notification_id() == 2
    assert [e.originator_version for e in recorder.select_events(a)] == [1, 2]
