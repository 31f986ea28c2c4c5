"""Time per step of ``ComplaintLifecycleMachine`` at a given number of steps per run.

    python bench/machine_steps.py [STEPS ...]   (default: 30 200)

Runs the stock machine (in-memory store) for a few examples at each step count, derandomized,
and prints the wall time per executed step. Steps are counted through the per-step
invariant, so the figure includes the machine's own checks.
"""

from __future__ import annotations

import sys
import time

from hypothesis import HealthCheck, settings
from hypothesis.stateful import invariant, run_state_machine_as_test

from complaintlog.testing import ComplaintLifecycleMachine

STEPS = 0


class CountingMachine(ComplaintLifecycleMachine):
    @invariant()
    def count_steps(self) -> None:
        global STEPS
        STEPS += 1


def per_step(steps: int, examples: int = 10) -> float:
    global STEPS
    STEPS = 0
    started = time.perf_counter()
    run_state_machine_as_test(
        CountingMachine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    return (time.perf_counter() - started) / max(STEPS, 1)


if __name__ == "__main__":
    for steps in [int(a) for a in sys.argv[1:]] or [30, 200]:
        print(f"{steps} steps per run: {per_step(steps) * 1000:.2f} ms per step")
