"""A seeded simulation of the complaint-handling steps that public data does not record.

The CFPB data says when a complaint arrived, when it reached the company and how the
company answered, but not when the customer was acknowledged, what was promised, whether
it was escalated or paused, or what the customer thought afterwards. For a demo, a
benchmark or a report worth looking at, :class:`Simulation` fills those gaps with
plausible steps on the timings complaint-handling practice describes (docs/sla.md):

- acknowledgement within the golden hour on phone and social media, within hours on the
  web and by e-mail, within days for letters; one in ten is slow;
- promises with a due date; most are kept (answered or updated before the due time), some
  are broken and followed by an apology and a new time;
- escalations to a supervisor (and sometimes management), pauses while waiting for the
  customer, reclassification of complaints from vulnerable customers;
- a satisfaction survey 24 to 48 hours after the resolution, follow-ups a few days later
  (some find the problem unsolved, which reopens it), a second resolution after a dispute,
  and withdrawals of some open complaints.

Every simulated event has the actor ``"simulation"``; a source step whose time the source
does not give (``Step.assumed``) and that the simulation re-times also gets that actor,
and its text keeps the source's fact and says the time is simulated. Facts from the
source (received, assigned, the remedy, the dispute) are never changed. The same seed and
the same ``now`` give the same steps, whatever the order complaints come in: each
complaint draws from its own generator, seeded with the seed and its reference.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from complaintlog.domain.values import (
    Cause,
    Channel,
    EscalationLevel,
    Remedy,
    ServqualDimension,
    Upheld,
)
from complaintlog.importing.plan import ComplaintPlan, Step

__all__ = ["ACTOR", "Simulation"]

ACTOR = "simulation"

_WORKDAY_START = time(8, 30)
_WORKDAY_END = time(17, 30)

_ACK_DELAY_MINUTES = {
    Channel.PHONE: (1, 20),
    Channel.SOCIAL: (5, 55),
    Channel.IN_PERSON: (1, 10),
    Channel.WEB: (30, 360),
    Channel.EMAIL: (30, 480),
    Channel.OTHER: (120, 1440),
    Channel.LETTER: (1440, 4320),
}

_SURVEY_COMMENTS = {
    1: "Nobody called back when promised.",
    2: "It took far too long.",
    3: "Solved in the end, but I had to chase it.",
    4: "Clear answer, thank you.",
    5: "Quick and friendly, problem gone.",
}

_PRODUCTS = (
    ("Washing machine", ServqualDimension.RELIABILITY, Cause.PRODUCT_QUALITY),
    ("Washing machine repair", ServqualDimension.RELIABILITY, Cause.REPAIR_QUALITY),
    ("Broadband", ServqualDimension.RELIABILITY, Cause.PRODUCT_QUALITY),
    ("Mobile plan", ServqualDimension.ASSURANCE, Cause.BILLING),
    ("Current account", ServqualDimension.ASSURANCE, Cause.STAFF_ERROR),
    ("Parcel delivery", ServqualDimension.RESPONSIVENESS, Cause.DELAY),
    ("Store visit", ServqualDimension.EMPATHY, Cause.STAFF_ATTITUDE),
    ("Electricity supply", ServqualDimension.TANGIBLES, Cause.POLICY),
)
_CHANNELS = (
    (Channel.PHONE, 30),
    (Channel.EMAIL, 25),
    (Channel.WEB, 20),
    (Channel.SOCIAL, 12),
    (Channel.IN_PERSON, 8),
    (Channel.LETTER, 5),
)
_REMEDIES = (
    (Remedy.REPAIR, 22),
    (Remedy.EXPLANATION, 20),
    (Remedy.APOLOGY, 12),
    (Remedy.REFUND, 12),
    (Remedy.REPLACEMENT, 8),
    (Remedy.EXCHANGE, 6),
    (Remedy.DISCOUNT, 6),
    (Remedy.STORE_CREDIT, 4),
    (Remedy.COMPENSATION, 6),
    (Remedy.NO_ACTION, 4),
)
_NAMES = (
    "Ana Horvat", "Ivan Kovač", "Marija Novak", "Jelena Petrović", "Luka Babić",
    "Olga Ivanova", "Dmitri Smirnov", "Zuzana Horváthová", "Peter Kováč", "Li Wei",
    "Wang Fang", "Amir Hodžić", "Emina Delić", "Tomáš Varga", "Chen Jing",
)  # fmt: skip


def upheld_for(remedy: Remedy) -> Upheld:
    """A simulated outcome that follows the remedy (no random draw: the demo stays the same)."""
    if remedy in {Remedy.EXPLANATION, Remedy.NO_ACTION}:
        return Upheld.NOT
    return Upheld.PARTLY if remedy is Remedy.APOLOGY else Upheld.FULLY


_SURVEY_SENT_AFTER = timedelta(hours=25)
"""The survey goes out 25 hours after the resolution (seed 003: 24 to 48 hours); six in ten
customers answer, 25 to 49 hours after it."""


def _weighted(rng: random.Random, table: tuple[tuple[Any, int], ...]) -> Any:
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights=weights)[0]


@attrs.frozen
class _Timeline:
    """The steps of one complaint being built, kept in time order."""

    steps: list[Step] = attrs.field(factory=list)

    def add(self, step: Step) -> None:
        self.steps.append(step)

    def ordered(self) -> tuple[Step, ...]:
        return tuple(sorted(self.steps, key=lambda step: step.at))


class Simulation:
    """Fills a complaint's missing steps, or invents complaints from scratch.

    ``now`` bounds everything: no simulated step lies after it, so complaints received
    lately stay open, with promises and SLA clocks still running.
    """

    def __init__(self, seed: int = 7, *, now: datetime) -> None:
        if now.tzinfo is None:
            msg = "now must be timezone-aware"
            raise ValueError(msg)
        self.seed = seed
        self.now = now

    # -- complaints from scratch ---------------------------------------------------------

    def generate(
        self,
        count: int,
        *,
        start: datetime,
        end: datetime | None = None,
        tz: str = "Europe/Zagreb",
    ) -> Iterator[ComplaintPlan]:
        """``count`` complaints received between ``start`` and ``end`` (default: now).

        Their handling is then simulated as for imported ones; those whose resolution
        would lie after ``now`` are still open.
        """
        end = end or self.now
        zone = ZoneInfo(tz)
        rng = random.Random(f"{self.seed}:generate")
        span = (end - start).total_seconds()
        customers: list[dict[str, str]] = []
        for number in range(1, count + 1):
            received_at = start + timedelta(seconds=rng.uniform(0, span))
            received_at = received_at.astimezone(zone)
            if rng.random() < 0.12 and customers:
                customer = rng.choice(customers)  # a repeat complaint
            else:
                customer = {"id": f"sim-customer-{self.seed}-{number}", "name": rng.choice(_NAMES)}
                customers.append(customer)
            product, dimension, cause = rng.choice(_PRODUCTS)
            channel = _weighted(rng, _CHANNELS)
            remedy = _weighted(rng, _REMEDIES)
            ref = f"sim:{self.seed}:{number}"
            team = rng.choice(("first-line", "technical", "billing"))
            assignee = f"agent-{rng.randint(1, 12)}"
            resolution_days = rng.choice((0.2, 1, 2, 3, 5, 8, 12, 20, 35))
            resolve_args: dict[str, Any] = {
                "remedy": remedy,
                "summary": f"simulated resolution: {remedy.value.replace('_', ' ')}",
                "upheld": upheld_for(remedy),
            }
            if remedy in {Remedy.REFUND, Remedy.COMPENSATION, Remedy.STORE_CREDIT}:
                amount = Decimal(rng.choice((10, 15, 25, 40, 60, 99, 150))) + Decimal("0.00")
                resolve_args["compensation"] = {"amount": str(amount), "currency": "EUR"}
            assign_at = received_at + timedelta(minutes=rng.randint(2, 240))
            plan = ComplaintPlan(
                line=number,
                external_ref=ref,
                received_at=received_at,
                actor=ACTOR,
                receive={
                    "customer": customer,
                    "channel": channel,
                    "subject": f"{product}: {cause.value.replace('_', ' ')}",
                    "description": f"Simulated complaint about {product.lower()}.",
                    "category": {"dimension": dimension, "cause": cause, "product": product},
                    "attributes": {"source_format": "simulation", "seed": str(self.seed)},
                },
                steps=(
                    *(
                        (
                            Step(
                                "assign",
                                assign_at,
                                ACTOR,
                                {"assignee": assignee, "team": team},
                                source="simulated",
                            ),
                        )
                        if assign_at <= self.now
                        else ()
                    ),
                    Step(
                        "resolve",
                        received_at + timedelta(days=resolution_days),
                        ACTOR,
                        resolve_args,
                        source="simulated",
                        assumed=True,
                        fact=str(resolve_args["summary"]) + ".",
                        text_argument="summary",
                    ),
                ),
            )
            yield self.enrich(plan)

    # -- filling the gaps ----------------------------------------------------------------

    def enrich(self, plan: ComplaintPlan) -> ComplaintPlan:
        """The plan with the missing steps simulated and assumed times re-timed (so every
        step has a time again, and every SLA target applies)."""
        plan = attrs.evolve(plan, not_recorded=())
        rng = random.Random(f"{self.seed}:{plan.external_ref}")
        zone = plan.received_at.tzinfo or ZoneInfo("UTC")
        channel = Channel(plan.receive.get("channel", Channel.OTHER))
        attributes = dict(plan.receive.get("attributes") or {})
        facts = [s for s in plan.steps if not (s.assumed and s.command == "acknowledge")]
        resolve = next((s for s in facts if s.command == "resolve"), None)
        reopen = next((s for s in facts if s.command == "reopen"), None)
        kept = [s for s in facts if s is not resolve and s is not reopen]
        timeline = _Timeline(list(kept))
        handled_from = max([plan.received_at, *(s.at for s in kept)])
        known_ack = next((s for s in kept if s.command == "acknowledge"), None)

        # 1. acknowledgement
        if known_ack is None:
            low, high = _ACK_DELAY_MINUTES.get(channel, (60, 600))
            delay = rng.uniform(low, high)
            if rng.random() < 0.1:
                delay = rng.uniform(1440, 5 * 1440)  # a slow one
            ack_at = self._office(handled_from + timedelta(minutes=delay), zone, rng, channel)
            if ack_at > self.now:
                return plan.with_steps(tuple(kept))  # too recent: nothing done yet
            timeline.add(
                Step(
                    "acknowledge",
                    ack_at,
                    ACTOR,
                    {
                        "message": "Thank you for telling us; we are sorry, and we are on it.",
                        "regret": True,
                        "thanks": True,
                    },
                )
            )
        else:
            ack_at = known_ack.at

        # 2. when the first cycle ends
        resolved_at: datetime | None = None
        if resolve is not None and resolve.source == "simulated":
            resolved_at = self._office(max(resolve.at, ack_at), zone, rng)
            if resolved_at > self.now:
                resolve, resolved_at = None, None  # invented, and not yet due: still open
        elif resolve is not None and resolve.assumed:
            resolved_at = self._resolution_time(rng, ack_at, attributes, zone)
        elif resolve is not None:
            resolved_at = resolve.at
        horizon = resolved_at if resolved_at is not None else self.now

        # 3. handling before the resolution
        broken = self._handling(rng, timeline, ack_at, horizon, attributes)
        if resolve is None:
            if rng.random() < 0.15:
                withdraw_at = ack_at + (self.now - ack_at) * rng.uniform(0.2, 0.9)
                if withdraw_at > max(s.at for s in timeline.steps):
                    timeline.add(
                        Step(
                            "withdraw",
                            withdraw_at,
                            ACTOR,
                            {"reason": "the customer withdrew the complaint"},
                        )
                    )
            return plan.with_steps(timeline.ordered())

        assert resolved_at is not None
        timeline.add(self._retimed(resolve, resolved_at))
        self._aftercare(rng, timeline, plan, resolve, resolved_at, reopen, broken)
        return plan.with_steps(timeline.ordered())

    # -- pieces --------------------------------------------------------------------------

    def _resolution_time(
        self, rng: random.Random, ack_at: datetime, attributes: dict[str, str], zone: Any
    ) -> datetime:
        timely = attributes.get("Timely response?", "").lower()
        if timely == "no":
            days = rng.uniform(16, 60)
        else:
            days = rng.choice((rng.uniform(0.1, 3), rng.uniform(3, 10), rng.uniform(8, 14.5)))
        resolved = self._office(ack_at + timedelta(days=days), zone, rng)
        if resolved > self.now:  # resolved according to the source: it happened by now
            resolved = max(ack_at, self.now - timedelta(minutes=rng.uniform(1, 600)))
        return resolved

    def _handling(
        self,
        rng: random.Random,
        timeline: _Timeline,
        ack_at: datetime,
        horizon: datetime,
        attributes: dict[str, str],
    ) -> bool:
        """Promises, updates, escalations, pauses between ``ack_at`` and ``horizon``.

        Returns whether a promise was broken (the survey remembers it).
        """
        span = horizon - ack_at
        if span <= timedelta(minutes=10):
            return False

        def inside(moment: datetime) -> bool:
            return ack_at < moment < horizon

        tags = attributes.get("Tags", "")
        if tags and rng.random() < 0.6:
            moment = ack_at + min(span / 10, timedelta(hours=1))
            timeline.add(
                Step(
                    "reclassify",
                    moment,
                    ACTOR,
                    {"severity": "high", "reason": f"vulnerable customer ({tags})"},
                )
            )
        broken = False
        if rng.random() < 0.6:
            made = ack_at + timedelta(minutes=rng.uniform(1, 90))
            for round_number in range(4):
                if not inside(made):
                    break
                due = made + timedelta(days=rng.choice((1, 2, 3, 5, 7, 10)))
                timeline.add(
                    Step(
                        "make_promise",
                        made,
                        ACTOR,
                        {"promise": "we will call you with an answer", "due": due},
                    )
                )
                if due >= horizon:
                    break  # the resolution (or nothing yet) comes before the due time
                if rng.random() < 0.72:  # kept: call before the due time, agree a new one
                    update = made + (due - made) * rng.uniform(0.6, 0.95)
                    text = "progress update before the promised time; new time agreed"
                else:  # broken: the due time passes in silence
                    broken = True
                    update = due + timedelta(hours=rng.uniform(4, 72))
                    text = "sorry for the missed call; new time agreed"
                if not inside(update):
                    break
                timeline.add(Step("inform", update, ACTOR, {"message": text}))
                made = update + timedelta(minutes=1 + round_number)
        if rng.random() < 0.12:
            moment = ack_at + span * rng.uniform(0.2, 0.7)
            timeline.add(
                Step(
                    "escalate",
                    moment,
                    ACTOR,
                    {
                        "level": EscalationLevel.SUPERVISOR,
                        "reason": "the customer asked for a supervisor",
                    },
                )
            )
            if rng.random() < 0.3:
                later = moment + (horizon - moment) * rng.uniform(0.2, 0.6)
                if inside(later):
                    timeline.add(
                        Step(
                            "escalate",
                            later,
                            ACTOR,
                            {
                                "level": EscalationLevel.MANAGEMENT,
                                "reason": "no progress at first line",
                            },
                        )
                    )
        if rng.random() < 0.1 and span > timedelta(days=2):
            paused = ack_at + span * rng.uniform(0.1, 0.5)
            resumed = paused + timedelta(days=rng.uniform(1, 5))
            timeline.add(
                Step("pause", paused, ACTOR, {"reason": "waiting for documents from the customer"})
            )
            if inside(resumed):
                timeline.add(Step("resume", resumed, ACTOR, {"note": "documents received"}))
        return broken

    def _aftercare(
        self,
        rng: random.Random,
        timeline: _Timeline,
        plan: ComplaintPlan,
        resolve: Step,
        resolved_at: datetime,
        reopen: Step | None,
        broken: bool,
    ) -> None:
        remedy = Remedy(resolve.arguments["remedy"])
        sent = resolved_at + _SURVEY_SENT_AFTER  # every resolution's survey, in its window
        if sent <= self.now:
            timeline.add(Step("send_survey", sent, ACTOR, {"channel": "email"}))
        if rng.random() < 0.6:
            surveyed = resolved_at + timedelta(hours=rng.uniform(24, 48)) + timedelta(hours=1)
            if surveyed <= self.now:
                score = self._score(rng, remedy, broken, resolved_at - plan.received_at)
                timeline.add(
                    Step(
                        "record_survey",
                        surveyed,
                        ACTOR,
                        {
                            "score": score,
                            "comment": _SURVEY_COMMENTS[score] if rng.random() < 0.4 else None,
                        },
                    )
                )
        if reopen is not None:
            disputed = reopen.at
            if reopen.assumed:
                disputed = resolved_at + timedelta(days=rng.uniform(3, 30), hours=50)
                if disputed > self.now:
                    disputed = max(resolved_at, self.now - timedelta(minutes=1))
                reopen = self._retimed(reopen, disputed)
            timeline.add(reopen)
            self._second_cycle(rng, timeline, disputed, "the consumer disputed the response")
            return
        if rng.random() < 0.85:
            followed = resolved_at + timedelta(days=rng.uniform(2, 7), hours=49)
            if followed <= self.now:
                solved_share = 0.7 if remedy is Remedy.NO_ACTION else 0.92
                solved = rng.random() < solved_share
                note = "the customer confirms it is solved" if solved else "the problem is back"
                timeline.add(Step("follow_up", followed, ACTOR, {"solved": solved, "note": note}))
                if not solved:
                    self._second_cycle(rng, timeline, followed, "follow-up found it unsolved")

    def _second_cycle(
        self, rng: random.Random, timeline: _Timeline, reopened_at: datetime, why: str
    ) -> None:
        if rng.random() < 0.4:
            moment = reopened_at + timedelta(hours=rng.uniform(2, 48))
            if moment <= self.now:
                timeline.add(
                    Step(
                        "escalate",
                        moment,
                        ACTOR,
                        {"level": EscalationLevel.MANAGEMENT, "reason": why},
                    )
                )
        if rng.random() < 0.75:
            second = reopened_at + timedelta(days=rng.uniform(3, 30))
            if second <= self.now:
                remedy = rng.choice(
                    (Remedy.REPAIR, Remedy.EXPLANATION, Remedy.REFUND, Remedy.APOLOGY)
                )
                timeline.add(
                    Step(
                        "resolve",
                        second,
                        ACTOR,
                        {
                            "remedy": remedy,
                            "summary": f"simulated second resolution after: {why}",
                            "upheld": upheld_for(remedy),
                        },
                    )
                )

    @staticmethod
    def _score(rng: random.Random, remedy: Remedy, broken: bool, took: timedelta) -> int:
        base = {
            Remedy.NON_MONETARY_RELIEF: 3.9,
            Remedy.COMPENSATION: 4.4,
            Remedy.REFUND: 4.3,
            Remedy.REPAIR: 4.0,
            Remedy.REPLACEMENT: 4.2,
            Remedy.EXCHANGE: 4.0,
            Remedy.STORE_CREDIT: 3.6,
            Remedy.DISCOUNT: 3.7,
            Remedy.EXPLANATION: 3.3,
            Remedy.APOLOGY: 3.0,
            Remedy.NO_ACTION: 2.0,
        }.get(remedy, 3.5)  # a company's own code: middling
        if broken:
            base -= 1.2
        if took > timedelta(days=15):
            base -= 0.8
        return max(1, min(5, round(base + rng.gauss(0, 0.8))))

    def _retimed(self, step: Step, at: datetime) -> Step:
        """A source step whose time was assumed, now at a simulated time, saying so."""
        if not step.assumed:
            return step
        arguments = dict(step.arguments)
        if step.text_argument:
            arguments[step.text_argument] = (
                f"{step.fact} Time simulated (seed {self.seed}): the source gives no "
                f"{step.command} time.".strip()
            )
        return attrs.evolve(step, at=at, actor=ACTOR, arguments=arguments, assumed=False)

    def _office(
        self, moment: datetime, zone: Any, rng: random.Random, channel: Channel | None = None
    ) -> datetime:
        """Move a moment outside office hours to the next working morning (not for calls)."""
        if channel in {Channel.PHONE, Channel.IN_PERSON}:
            return moment
        local = moment.astimezone(zone)
        for _ in range(8):
            if local.weekday() < 5 and _WORKDAY_START <= local.time() < _WORKDAY_END:
                return local
            if local.time() >= _WORKDAY_END or local.weekday() >= 5:
                local = datetime.combine(
                    local.date() + timedelta(days=1), _WORKDAY_START, local.tzinfo
                )
            else:
                local = datetime.combine(local.date(), _WORKDAY_START, local.tzinfo)
            local += timedelta(minutes=rng.uniform(0, 90))
        return local
