"""Optimisation: the best mix of levers for a budget (a layer between the experiments, whose
engines run every replication, and the analysis).

:mod:`.menu` prices the levers and turns money into changes to a scenario; :mod:`.design`
lays a space-filling design over the simplex of budget shares and fits a surrogate;
:mod:`.selection` is procedure KN (ranking and selection with common random numbers);
:mod:`.optimiser` puts them together as :func:`optimise`.
"""

from .menu import LEVERS, Purchase, buy
from .optimiser import OptimisationError, OptimisationResult, optimise
from .selection import Selection, kim_nelson, probability_of_correct_selection

__all__ = [
    "LEVERS",
    "OptimisationError",
    "OptimisationResult",
    "Purchase",
    "Selection",
    "buy",
    "kim_nelson",
    "optimise",
    "probability_of_correct_selection",
]
