"""What a budget can buy besides heads: the costed levers of the ``levers`` block.

Each lever is a programme with a cost and a mechanism (docs/levers.md gives the sources or
tags each effect as an assumption to sweep):

==================  ==========================================================================
``wellbeing``       supervision and wellbeing support: strain rises more slowly and falls
                    faster, and the quit hazard is lower; a cost per caseworker-year in post
``retention_pay``   a stipend, bonus or loan repayment: a lower base quit hazard; a cost per
                    caseworker-year in post
``faster_hiring``   a faster hiring pipeline: a shorter hiring lag; a cost per hire
``rebalancing``     a periodic caseload audit that moves cases from workers over a cap to
                    colleagues with room: transfer hours, lost continuity, a cost per audit
==================  ==========================================================================

A programme bought in part has ``level`` below 1: its effects and its cost scale with the
level (constant returns within the programme, an assumption). ``level: 0``, like leaving the
lever out, changes nothing. The levers that already exist elsewhere in a scenario
(caseworkers, supervisors and support staff in ``workforce``, ``technology``, agency cover in
``hiring``, external providers in ``caps``) keep their places.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from .fields import STRICT, NonNegativeFloat, Probability

__all__ = ["FasterHiring", "Levers", "Rebalancing", "RetentionPay", "Wellbeing"]


class Wellbeing(BaseModel):
    """Supervision and wellbeing support (reflective supervision, peer support, counselling).

    At ``level`` ``l``: strain rises ``1 - strain_rise_cut * l`` times as fast, every fall of
    strain (recovery) is ``1 + recovery_boost * l`` times as large, and the daily quit hazard
    is multiplied by ``1 - quit_cut * l``; it costs ``l * cost_per_worker_year`` a year for
    every caseworker in post.
    """

    model_config = STRICT
    level: Probability = 1.0
    cost_per_worker_year: NonNegativeFloat = 0.0
    strain_rise_cut: Probability = 0.2
    recovery_boost: Annotated[float, Field(ge=0, le=10)] = 0.5
    quit_cut: Probability = 0.1


class RetentionPay(BaseModel):
    """A retention stipend, bonus or loan repayment for caseworkers in post.

    At ``level`` ``l`` the base quit hazard (``turnover.annual_rate``) is multiplied by
    ``1 - quit_cut * l``, at ``l * cost_per_worker_year`` a year per caseworker in post. The
    default cut is North Carolina's $1,800 teacher bonus (17% lower turnover, Clotfelter et
    al. 2008).
    """

    model_config = STRICT
    level: Probability = 1.0
    cost_per_worker_year: NonNegativeFloat = 0.0
    quit_cut: Probability = 0.17


class FasterHiring(BaseModel):
    """A faster hiring pipeline (recruiters, pre-approved posts, rolling panels).

    At ``level`` ``l`` every hiring lag drawn is multiplied by ``1 - lag_cut * l``, at
    ``l * cost_per_hire`` for each hire. The default cut is Jefferson County, Colorado's
    (72 days to fill a post in 2014, 27 in 2017).
    """

    model_config = STRICT
    level: Probability = 1.0
    cost_per_hire: NonNegativeFloat = 0.0
    lag_cut: Probability = 0.6


class Rebalancing(BaseModel):
    """A caseload audit every ``every_days`` days (at the end of a day).

    Each audit moves cases from workers over a cap to the least-loaded colleague with room,
    the most recently assigned case first, until nobody is over a cap or nobody has room. A
    moved case is a change of worker (a handoff: the service dose falls, detection is lower
    for ``turnover.continuity_days``) and costs its new worker ``transfer_hours`` of case
    work; each audit costs ``cost_per_audit``.
    """

    model_config = STRICT
    every_days: Annotated[float, Field(ge=1, le=3650)]
    cost_per_audit: NonNegativeFloat = 0.0
    transfer_hours: NonNegativeFloat = 1.0


class Levers(BaseModel):
    """The levers a budget buys besides positions (every one optional, off when left out)."""

    model_config = STRICT
    wellbeing: Wellbeing | None = None
    retention_pay: RetentionPay | None = None
    faster_hiring: FasterHiring | None = None
    rebalancing: Rebalancing | None = None
