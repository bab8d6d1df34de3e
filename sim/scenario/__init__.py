"""The scenario schema: what a scenario file may say, how it is read, and its one-line errors.

A scenario is everything a run needs: case types and their arrivals, risk tiers, intake
screening, caps and overflow, the workforce and its careers, the policies, the horizon and
the seed. This package is the model's contract with the outside: the model core reads a
validated :class:`Scenario` and nothing else. One module per section of a file
(:mod:`.casetypes`, :mod:`.risk`, :mod:`.workforce`, :mod:`.policies`, :mod:`.levers`), the whole in
:mod:`.schema`, shared types in :mod:`.fields`, reading in :mod:`.loading`, error
messages in :mod:`.messages`, duration distributions in :mod:`.distributions`.
"""

from .casetypes import (
    Arrivals,
    CaseType,
    ComplexityLevel,
    Contacts,
    FirstContact,
    Standard,
    SurgeWindow,
)
from .levers import FasterHiring, Levers, Rebalancing, RetentionPay, Wellbeing
from .loading import apply_overrides, load_scenario, load_yaml, validate_scenario
from .offices import Office, Sharing, office_scenarios
from .policies import Gatekeeping, InitialState, Policies, Scandal
from .risk import Intake, Risk, RiskTier
from .schema import Scenario, Staffing
from .workforce import (
    Budget,
    Caps,
    FreezeWindow,
    Hiring,
    Strain,
    Supervision,
    Support,
    Turnover,
    Workforce,
)

__all__ = [
    "Arrivals",
    "Budget",
    "Caps",
    "CaseType",
    "ComplexityLevel",
    "Contacts",
    "FasterHiring",
    "FirstContact",
    "FreezeWindow",
    "Gatekeeping",
    "Hiring",
    "InitialState",
    "Intake",
    "Levers",
    "Office",
    "Policies",
    "Rebalancing",
    "RetentionPay",
    "Risk",
    "RiskTier",
    "Scandal",
    "Scenario",
    "Sharing",
    "Staffing",
    "Standard",
    "Strain",
    "Supervision",
    "Support",
    "SurgeWindow",
    "Turnover",
    "Wellbeing",
    "Workforce",
    "apply_overrides",
    "load_scenario",
    "load_yaml",
    "office_scenarios",
    "validate_scenario",
]
