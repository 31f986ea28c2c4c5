"""Count how many examples the property test needs to catch each planted bug, over seeds.

    python examples/property_rules/measure_planted_bugs.py [SEEDS] [MAX_EXAMPLES] [--no-shrink]

For each bug and seed: the number of generated examples up to and including the first
that fails (search only, no shrinking), then one shrunk counterexample per bug.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from hypothesis import HealthCheck, Phase, given, seed, settings
from planted_bugs import PLANTED
from test_house_rules import house_lifecycles, runs_against_the_spec

from complaintlog.rules import ProcessRule
from complaintlog.testing import Lifecycle, RuleDisagreement


def examples_to_failure(rules: ProcessRule, chosen_seed: int, max_examples: int) -> int | None:
    count = 0

    @seed(chosen_seed)
    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(lifecycle=house_lifecycles())
    def run(lifecycle: Lifecycle) -> None:
        nonlocal count
        count += 1
        runs_against_the_spec(rules, lifecycle)

    try:
        run()
    except RuleDisagreement:
        return count
    return None


def shrunk(rules: ProcessRule) -> str:
    found: list[str] = []

    @seed(0)
    @settings(
        max_examples=1000, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(lifecycle=house_lifecycles())
    def run(lifecycle: Lifecycle) -> None:
        try:
            runs_against_the_spec(rules, lifecycle)
        except RuleDisagreement as error:
            found.append(f"{error}\n{lifecycle!r}")
            raise

    try:
        run()
    except RuleDisagreement:
        return found[-1]
    return "not found"


def main() -> None:
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    for name, rules in PLANTED.items():
        counts = [examples_to_failure(rules, s, limit) for s in range(seeds)]
        caught = [c for c in counts if c is not None]
        summary = (
            f"median {statistics.median(caught):.0f}, max {max(caught)}" if caught else "never"
        )
        print(f"{name}: caught in {len(caught)}/{seeds} seeds; examples {counts}; {summary}")
    if "--no-shrink" in sys.argv:
        return
    for name, rules in PLANTED.items():
        print(f"\n--- shrunk counterexample, {name} ---\n{shrunk(rules)}")


if __name__ == "__main__":
    main()
