"""Start from an agency's own history: fit a scenario to past referrals and staff, and
back-test it (``caseload fit``, :func:`sim.fit`; docs/fit.md).

One module per concept: reading and checking the tables (:mod:`.tables`), a simulated
history in the tables' shape (:mod:`.export`), the estimators of demand and intake
(:mod:`.estimates`), censored durations (:mod:`.durations`), the workforce (:mod:`.staff`),
the fit itself (:mod:`.fit`), the scenario file with a comment on every figure
(:mod:`.writer`), the back-test (:mod:`.backtest`) and the report (:mod:`.report`). This layer
reads the scenario, the core, the experiments and the analysis; none of them reads it.
"""

from .export import history_tables
from .fit import FitResult, fit
from .tables import ColumnMapping, History, OddRows, load_mapping, read_history

__all__ = [
    "ColumnMapping",
    "FitResult",
    "History",
    "OddRows",
    "fit",
    "history_tables",
    "load_mapping",
    "read_history",
]
