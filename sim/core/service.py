"""Service that lowers risk: the dose an open case receives, and the signals it prevents.

An open case's help lowers its subject's risk signal rate by up to the case type's
``effect`` (:class:`~sim.scenario.casetypes.Service`), scaled by the **dose** delivered:

    dose = handoff_factor ** handoffs * ((1 - w) * contacts_share + w * casework_share)

where ``contacts_share`` is the share of contacts due so far (first and recurring: made,
missed, or overdue now) that were made on time, ``casework_share`` the share of the case
work accrued so far that was done (at most 1), and ``w`` the type's ``casework_share`` (a
type with no contacts, or no case work, counts the other part alone). An overloaded
worker delivers less: contacts go late and case work falls behind. Service starts with
the first contact (a type with contacts has dose 0 until then). Each change of worker
multiplies the dose (continuity: outcomes fall with each change of caseworker, the
Milwaukee study). After closure the reduction reached at closure persists, halving every
``half_life_days``, or for the rest of the risk window.

**Thinning keeps common random numbers.** Every candidate signal is drawn when its
subject is first referred, with a uniform of its own (``Signal.prevent_draw``); at the
signal's time the reduction in force ``r`` is read from the subject's referrals (the
largest, if several cases helped), and the signal is prevented, and never happens, if
its uniform is below ``r``. Two staffing levels therefore see the same candidate signals
and differ only by what service prevented, what contacts caught, and what was missed:
``prevented + caught + missed`` is the same set of candidates in both.

Where the practice is not evidence-based the effect is nil (the reduced-caseload
probation trial found lower recidivism only where smaller caseloads came with
evidence-based practice), and more contact only means more detection.
"""

from __future__ import annotations

from ..scenario import Scenario
from .metrics import Metrics
from .outcome_metrics import OutcomeMetrics
from .referral import Referral, ReferralState, Subject
from .work import casework_accrued

__all__ = ["Service"]

OPEN, CLOSED = ReferralState.OPEN, ReferralState.CLOSED
_EPS = 1e-9


class Service:
    """The dose of every open case, and the reduction of its subject's signal rate.

    Parameters
    ----------
    scenario
        Read once: each case type's ``service`` block (effect, persistence, the weight
        of case work in the dose, the handoff factor).
    metrics
        Told of each signal in service, each prevented, and each closure's dose.
    """

    def __init__(self, scenario: Scenario, metrics: Metrics) -> None:
        self._metrics: OutcomeMetrics = metrics.outcomes
        self._settings = []
        for case_type in scenario.case_types:
            service = case_type.service
            if service is None:
                self._settings.append(None)
                continue
            contacts = case_type.first_contact is not None or case_type.contacts is not None
            casework = case_type.work_hours > 0
            weight = service.casework_share if contacts and casework else float(casework)
            self._settings.append(
                (contacts, weight, service.handoff_factor, service.half_life_days)
            )
        self.enabled = any(
            ct.service is not None and ct.service.evidence_based and ct.service.effect > 0
            for ct in scenario.case_types
        )
        """Whether any case type's service can prevent a signal."""

    def dose(self, case: Referral, time: float) -> float:
        """The dose ``case`` has received by ``time`` (0 to 1; 0 for a type without service)."""
        settings = self._settings[case.profile.index]
        if settings is None:
            return 0.0
        contacts, weight, handoff_factor, _ = settings
        contacts_share = 0.0
        if contacts:
            due = case.contacts_due + (case.contact_due is not None and case.contact_due < time)
            if not due:
                return 0.0  # no contact made yet: service has not begun
            contacts_share = case.contacts_on_time / due
        casework_share = 0.0
        if weight > 0:
            accrued = casework_accrued(case, time)
            casework_share = 1.0 if accrued <= _EPS else min(case.work_done / accrued, 1.0)
        dose = (1.0 - weight) * contacts_share + weight * casework_share
        return dose * handoff_factor**case.handoffs if case.handoffs else dose

    def reduction(self, referral: Referral, time: float) -> float:
        """The cut of the signal rate that ``referral`` gives its subject at ``time``."""
        effect = referral.profile.service_effect
        if not effect:
            return 0.0
        if referral.state is OPEN:
            return effect * self.dose(referral, time)
        if referral.state is CLOSED and referral.dose_at_close > 0:
            half_life = self._settings[referral.profile.index][3]
            reduction = effect * referral.dose_at_close
            if half_life is None:
                return reduction
            return reduction * 0.5 ** ((time - referral.closed_at) / half_life)
        return 0.0

    def strongest(self, subject: Subject, time: float) -> tuple[float, Referral | None]:
        """The largest cut of the signal rate any of the subject's referrals gives at
        ``time``, and that referral (``None`` if none helps)."""
        best, helper = 0.0, None
        for referral in subject.referrals:
            reduction = self.reduction(referral, time)
            if reduction > best:
                best, helper = reduction, referral
        return best, helper

    def reduction_for(self, subject: Subject, time: float) -> float:
        """The cut of ``subject``'s signal rate in force at ``time``."""
        return self.strongest(subject, time)[0]

    def prevents(self, subject: Subject, prevent_draw: float, time: float) -> bool:
        """Whether service in force prevents a candidate signal of ``subject`` at ``time``:
        its own uniform falls below the strongest reduction in force."""
        reduction, helper = self.strongest(subject, time)
        if helper is None:
            return False
        metrics = self._metrics
        metrics.signal_in_service(time)
        if prevent_draw < reduction:
            metrics.prevent(time, helper.profile.index)
            return True
        return False

    def closing(self, case: Referral, time: float) -> None:
        """A case closes at ``time``: keep the dose it received (for persistence)."""
        if self._settings[case.profile.index] is None:
            return
        case.dose_at_close = dose = self.dose(case, time)
        self._metrics.service_dose(time, dose, case.profile.index)
