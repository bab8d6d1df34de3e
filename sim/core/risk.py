"""Risk signals, their detection, and the cause of every harm.

Latent risk produces candidate signals at random times over a risk window after
the subject's first referral. Service in force may prevent a candidate (it never
happens: :mod:`sim.core.service`). A signal that happens turns into harm
``detection_window_days`` after it occurs unless a contact inside that window
detects it. Every candidate therefore ends exactly one way: prevented, caught, or
harm with one cause:

==============  ==============================================================
screened_out    the referral was never opened
waitlist        the case was opened but waited, unassigned, through the window
no_contact      a worker held the case, but no contact fell inside the window
not_detected    there was a contact inside the window, and it missed the signal
sent_out        the case was with an external provider, which missed it
after_closure   the case had been closed (or the provider was done) before the
                signal, and no new referral was opened in time
==============  ==============================================================

The first four are MODEL.md's causes; ``sent_out`` and ``after_closure`` exist
because a case can leave the agency while its subject is still at risk. The
causes are checked in the order of the table's reverse responsibility: a
contact in the window makes it ``not_detected``; otherwise a worker holding the
case at any time in the window makes it ``no_contact``; then ``waitlist``,
``sent_out``, ``after_closure`` and, last, ``screened_out``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from .referral import ReferralState

if TYPE_CHECKING:
    from .referral import Subject

__all__ = ["HarmCause", "Signal", "harm_cause"]


class HarmCause(StrEnum):
    SCREENED_OUT = "screened_out"
    WAITLIST = "waitlist"
    NO_CONTACT = "no_contact"
    NOT_DETECTED = "not_detected"
    SENT_OUT = "sent_out"
    AFTER_CLOSURE = "after_closure"


class Signal:
    """A warning produced by latent risk.

    ``detect_draw``, ``rereport_draw`` and ``prevent_draw`` are uniforms drawn with the
    signal, so that the first detection attempt, the re-report decision and whether
    service prevented it use the same random number in every scenario (common random
    numbers): service *thins* the candidate signals, it never draws more.
    """

    __slots__ = (
        "attempts",
        "caught_at",
        "detect_draw",
        "prevent_draw",
        "rereport_draw",
        "subject",
        "time",
    )

    def __init__(
        self,
        subject: Subject,
        time: float,
        detect_draw: float,
        rereport_draw: float,
        prevent_draw: float = 1.0,
    ) -> None:
        self.subject = subject
        self.time = time
        self.detect_draw = detect_draw
        self.rereport_draw = rereport_draw
        self.prevent_draw = prevent_draw
        self.attempts = 0
        self.caught_at: float | None = None


_EXPOSURE = {
    ReferralState.OPEN: HarmCause.NO_CONTACT,
    ReferralState.WAITING: HarmCause.WAITLIST,
    ReferralState.SENT_OUT: HarmCause.SENT_OUT,
    ReferralState.CLOSED: HarmCause.AFTER_CLOSURE,
    ReferralState.SCREENED_OUT: HarmCause.SCREENED_OUT,
}
_PRECEDENCE = [
    HarmCause.NO_CONTACT,
    HarmCause.WAITLIST,
    HarmCause.SENT_OUT,
    HarmCause.AFTER_CLOSURE,
    HarmCause.SCREENED_OUT,
]


def harm_cause(signal: Signal, harm_time: float) -> HarmCause:
    """Why ``signal`` was missed, given the subject's referrals during its window."""
    if signal.attempts:
        return HarmCause.NOT_DETECTED
    start = signal.time
    seen: set[HarmCause] = set()
    for referral in signal.subject.referrals:
        history = referral.history
        for i, (since, state) in enumerate(history):
            until = history[i + 1][0] if i + 1 < len(history) else float("inf")
            if until <= since or until <= start or since > harm_time:
                continue
            cause = _EXPOSURE[state]
            if state is ReferralState.SENT_OUT and referral.provider_until is not None:
                if since <= harm_time and referral.provider_until > start:
                    seen.add(HarmCause.SENT_OUT)
                if referral.provider_until <= harm_time:
                    seen.add(HarmCause.AFTER_CLOSURE)
                continue
            seen.add(cause)
    for cause in _PRECEDENCE:
        if cause in seen:
            return cause
    return HarmCause.SCREENED_OUT
