"""What did the team lead's screen show on Monday, and what changed since?

Business time (``as_of``): what had happened by then, including steps recorded later.
Recording time (``as_known_at``): what the store knew at that moment, before late entries.
``changes_since`` lists, step by step, what was recorded after the screen was drawn.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from complaintlog import ComplaintLog, Status


class ManualClock:
    """Recording time for the example: we step it by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def changes_since(log: ComplaintLog, complaint_id: object, moment: datetime) -> list[str]:
    """The steps recorded after ``moment``, with when they happened and who entered them."""
    return [
        f"{entry.event} (happened {entry.occurred_at:%a %H:%M}, "
        f"recorded {entry.recorded_at:%a %H:%M} by {entry.actor or '-'})"
        for entry in log.history(complaint_id)  # type: ignore[arg-type]
        if entry.recorded_at > moment
    ]


def main() -> None:
    monday_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    clock = ManualClock(monday_9)
    with ComplaintLog("memory://", clock=clock) as log:
        cid = log.receive(
            customer={"id": "C-7"},
            channel="social",
            subject="Late delivery",
            description="Order 5531 is a week late",
        )
        # The agent answered on the phone at 09:20 but only typed it in on Tuesday.
        monday_17 = clock.now = monday_9 + timedelta(hours=8)
        clock.now = monday_9 + timedelta(days=1)
        log.acknowledge(cid, at=monday_9 + timedelta(minutes=20), actor="agent-ivo")

        as_it_happened = log.get(cid, as_of=monday_17)
        as_it_was_shown = log.get(cid, as_known_at=monday_17)
        assert as_it_happened.status is Status.ACKNOWLEDGED
        assert as_it_was_shown.status is Status.RECEIVED
        print(f"Monday 17:00, as it happened: {as_it_happened.status}")
        print(f"Monday 17:00, as the screen showed it: {as_it_was_shown.status}")
        print("Recorded since Monday 17:00:", "; ".join(changes_since(log, cid, monday_17)))
        for entry in log.history(cid):
            print(
                f"  {entry.event:<13} happened {entry.occurred_at:%a %H:%M}"
                f"  recorded {entry.recorded_at:%a %H:%M}  by {entry.actor or '-'}"
            )


if __name__ == "__main__":
    main()
