"""caseload-sim: a discrete-event staffing simulator for public-service caseloads.

The Python API, used by the command line and by notebooks alike::

    import sim
    scenario = sim.load_scenario("scenarios/minimal.yaml")
    result = sim.run(scenario, replications=20, seed=1)
    result.summary()
    sim.compare(scenario, sim.apply_overrides(scenario, {"workforce.caseworkers": 14}))
"""

from importlib.metadata import PackageNotFoundError, version

from .analysis.compare import Comparison, compare
from .analysis.standards import compare as compare_with_standards
from .analysis.standards import staffing_standards
from .core.model import CaseloadModel, ReplicationOutput
from .core.summary import FIGURES, ReplicationSummary
from .errors import ScenarioError
from .experiments.design import load_sweep, sweep_over
from .experiments.results import load_results, summarise_results
from .experiments.runner import RunResult, run, run_replication
from .experiments.sweep import run_sweep
from .fitting import FitResult, fit
from .optimisation import OptimisationResult, optimise
from .scenario import Scenario, apply_overrides, load_scenario, validate_scenario


def __getattr__(name: str) -> object:
    """``sim.plots``, the figures' module before it moved to :mod:`sim.analysis.plots`, is
    still found there, imported on first use (matplotlib is not loaded by ``import sim``)."""
    if name == "plots":
        from .analysis import plots

        return plots
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


try:
    __version__ = version("caseload-sim")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

__all__ = [
    "FIGURES",
    "CaseloadModel",
    "Comparison",
    "FitResult",
    "OptimisationResult",
    "ReplicationOutput",
    "ReplicationSummary",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "apply_overrides",
    "compare",
    "compare_with_standards",
    "fit",
    "load_results",
    "load_scenario",
    "load_sweep",
    "optimise",
    "run",
    "run_replication",
    "run_sweep",
    "staffing_standards",
    "summarise_results",
    "sweep_over",
    "validate_scenario",
]
