"""The simulation core: one replication of a scenario, on SimPy.

:class:`~sim.core.model.CaseloadModel` wires the parts of the office together (see
docs/architecture.md); every other module here is one concept of the model: random
streams, case types, arrivals, screening, referrals, workers and rosters, strain, careers,
costs, policies, the working day, risk signals and the metrics they feed.
"""
