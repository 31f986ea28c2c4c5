"""SLA clocks and breach lists under an :class:`~complaintlog.domain.sla_policy.SlaPolicy`.

Per complaint and applicable target the projection keeps a *clock*: when it started, when
it falls due, when the warning threshold passes, how long it was paused, when it was met or
cancelled. Due times are computed when the events arrive, with the policy's business
calendar; a breach happens when time passes, not when an event arrives, so every query takes
``as_of`` and answers from the stored times:

* ``breach_us`` is the clock's due time when the clock is (or, if nothing else happens,
  will be) breaching: not met by its due time, not cancelled before it, and not paused.
  ``breaches(as_of)`` is then ``breach_us < as_of``: clocks past due and not met by then,
  or met late. One indexed range, at any past or present ``as_of``.
* Pauses: while a complaint is paused, clocks of targets with ``pauses_stop_clock`` stand
  still (``paused_since_us``; a paused clock never breaches). On resume, the remaining
  time on the target's clock is counted again from the resume: ``due = add(resume,
  between(pause, due))``, likewise the warning time; a clock already past due when the
  pause began stays breached. Because due times only ever move later, and only for pauses
  that began before them, the stored due time is also the right answer for a past
  ``as_of``.

What starts and stops which clock (the targets applying to a complaint are chosen, from its
channel, severity and category, when the clock starts; a later reclassification applies to
clocks started afterwards):

========================  ==========================  =================================
metric                    started by                  met by
========================  ==========================  =================================
``acknowledge``           Received                    Acknowledged
``first_response``        Received                    Acknowledged or PromiseMade
``resolve``               Received, Reopened (cycle)  Resolved (of that cycle)
``promise``               PromiseMade (its own due)   CustomerInformed (naming it, or
                                                      any) or Resolved
``follow_up``             Resolved                    FollowedUp
``survey``                Resolved                    SurveySent, else Surveyed (early
                                                      if before ``not_before``: not
                                                      compliant)
========================  ==========================  =================================

A holding reply (a ``PromiseMade`` with a ``delay_reason``) made while a clock of a target
with a ``holding_reply_limit`` runs and is not yet due moves that clock's due time to the
promised time, capped at the limit and never earlier (PSD2 art. 101(2)); the due time
moves later, like a pause's, and only for a reply recorded before it.

A withdrawal cancels running clocks; a reopening cancels the previous cycle's follow-up and
survey clocks; a new promise made while an earlier one is still open supersedes it (as in
the aggregate), unless it was made ``alongside``. A promise kept after its due time counts
as met late. A policy without a ``promise`` target gets an implicit one (``promise``: by
the promised time, calendar clock, pauses do not move it), so broken promises are always
known.

Clocks of ``informational`` targets are kept like the others, but they are no obligation:
their rows have no outcome (so the statistics count them towards no compliance rate), and
the view's breach and at-risk queries leave them out unless asked for them
(``include_informational=True``, or naming the target).

Beside the clock rows the projection keeps the number of clocks decided (and of those on
time) per local day of the policy calendar and metric (``_sla_days``): the statistics
report's compliance rates, a few rows a month. A catch-up moves them by the changed clocks'
difference; a rebuild derives them from the clock rows at its end (``create_indexes``).
"""

from __future__ import annotations

from complaintlog.projections.sla._arithmetic import IMPLICIT_PROMISE as IMPLICIT_PROMISE
from complaintlog.projections.sla._arithmetic import target_named as target_named
from complaintlog.projections.sla._arithmetic import warn_time as warn_time
from complaintlog.projections.sla._projection import SlaProjection
from complaintlog.projections.sla._rows import CASES as CASES
from complaintlog.projections.sla._rows import CLOCKS as CLOCKS
from complaintlog.projections.sla._view import Clock, SlaView
from complaintlog.projections.sla._what_if import BreachKey as BreachKey
from complaintlog.projections.sla._what_if import WhatIf, what_if
from complaintlog.projections.sla._what_if import replay_breaches as replay_breaches

__all__ = ["Clock", "SlaProjection", "SlaView", "WhatIf", "what_if"]
