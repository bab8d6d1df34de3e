"""Analysis and reporting: what the tables of replications and sweeps say.

Paired differences under common random numbers, the Pareto frontier of cost against
missed risk, the least sufficient budget, sensitivity indices and scenario discovery
(:mod:`.statistics`); two scenarios compared on the same seeds (:mod:`.compare`, as
``sim.compare``); why runs failed (:mod:`.failures`); figures (:mod:`.plots`); the HTML
report of a results folder (:mod:`.report`), whose sentences are written by
:mod:`.readings`; and the static staffing standards beside the simulated outcomes
(:mod:`.standards`). Data flows in one way: this layer reads what the experiments wrote.
"""

from .compare import Comparison
from .failures import FailureReason, failure_reasons
from .statistics import (
    Box,
    PairedDifference,
    confidence_interval,
    first_order_indices,
    least_cost_point,
    least_sufficient,
    paired_difference,
    pareto_frontier,
    points_meeting,
    prim_box,
    summarise,
    welch_interval,
)

__all__ = [
    "Box",
    "Comparison",
    "FailureReason",
    "PairedDifference",
    "confidence_interval",
    "failure_reasons",
    "first_order_indices",
    "least_cost_point",
    "least_sufficient",
    "paired_difference",
    "pareto_frontier",
    "points_meeting",
    "prim_box",
    "summarise",
    "welch_interval",
]
