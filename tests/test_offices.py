"""Several offices in one scenario: one clock, one budget, case sharing, summaries per office
and for the whole region.

What is known exactly: offices that never share are the offices alone on their own streams
(office 0 is the scenario alone); every referral ends in one state in one office (per office:
what it received, less what it sent, plus what it took); a case is shared only when none of
the sending office's workers has room; the whole region's counts are the offices' sums and its
percentiles those of the pooled distributions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import yaml
from conftest import small_office_data

import sim
from sim.core.model import CaseloadModel
from sim.core.region import Region
from sim.core.sharing import CaseSharing
from sim.core.summary import FIGURES
from sim.scenario import office_scenarios


def same(a: dict[str, float], b: dict[str, float]) -> list[str]:
    """The figures that differ (NaN equals NaN)."""
    return [
        k
        for k in a
        if not (a[k] == b[k] or (isinstance(a[k], float) and math.isnan(a[k]) and math.isnan(b[k])))
    ]


def region_data(offices: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    data = small_office_data(**changes)
    data["offices"] = offices
    return data


@pytest.mark.parametrize("sharing", [None, {"transfer_hours": 2.0}], ids=["no sharing", "no caps"])
def test_offices_that_never_share_are_the_offices_alone(sharing: dict | None) -> None:
    """Two identical offices (with sharing on, but no caps: nobody is ever full) give office 0
    exactly the single office's run and office 1 exactly the single office on office 1's
    streams: figures, daily series and records."""
    changes = {"caps": {"overflow": "wait"}, "strain": {}, "turnover": {"annual_rate": 0.3}}
    single = sim.validate_scenario(small_office_data(**changes))
    data = region_data([{"name": "east"}, {"name": "west"}], **changes)
    if sharing is not None:
        data["sharing"] = sharing
    region = Region(sim.validate_scenario(data), seed=4, timeseries=True, records=True).run()
    for office in (0, 1):
        alone = CaseloadModel(single, seed=4, timeseries=True, records=True, office=office).run()
        row = region.by_office.iloc[office].drop("office").to_dict()
        assert not same(alone.summary.as_dict(), row), f"office {office} differs"
        name = ["east", "west"][office]
        series = region.timeseries[region.timeseries.office == name].drop(columns="office")
        assert series.reset_index(drop=True).equals(alone.timeseries)
        records = region.records[region.records.office == name].drop(columns="office")
        assert records.reset_index(drop=True).equals(alone.records)
    assert region.summary.shared_out == 0


UNEVEN = [
    {"name": "short", "overrides": {"workforce.caseworkers": 3}},
    {"name": "even", "overrides": {"workforce.caseworkers": 6}},
    {"name": "spare", "overrides": {"workforce.caseworkers": 9}},
]


def uneven_region(**changes: Any) -> sim.Scenario:
    data = region_data(UNEVEN, **{"warmup_days": 0.0, "caps.count": 10, **changes})
    data["sharing"] = {"transfer_hours": 3.0, "cost_per_case": 250.0}
    return sim.validate_scenario(data)


@pytest.mark.parametrize("overflow", ["wait", "over_cap", "external"])
@pytest.mark.parametrize("seed", [1, 2])
def test_conservation_per_office_and_overall(overflow: str, seed: int) -> None:
    """Each office holds, in exactly one state each, what it received less what it sent to
    other offices plus what it took from them; the region holds every referral."""
    region = Region(uneven_region(**{"caps.overflow": overflow}), seed=seed, records=True)
    output = region.run()
    received_total = 0
    for office, by_office in zip(region.offices, output.by_office.itertuples(), strict=True):
        received = len(office.register.referrals)
        held = sum(office.register.counts.values())
        assert held == received - by_office.shared_out + by_office.shared_in
        received_total += received
    assert sum(output.state_counts.values()) == received_total
    assert output.summary.shared_out == output.summary.shared_in > 0
    assert output.summary.sharing_cost == pytest.approx(250.0 * output.summary.shared_out)


def test_a_case_is_shared_only_when_the_sending_office_is_full(monkeypatch) -> None:
    """At every sharing, none of the sender's workers has room for the case (checked worker
    by worker, not through the roster's index), and the taker does, with nobody waiting."""
    seen = []
    place = CaseSharing.place

    def checked(self: CaseSharing, referral: Any, sender: int) -> bool:
        roster = self._caseloads[sender]._roster
        assert not any(worker.has_room(referral.weight) for worker in roster)
        taken = place(self, referral, sender)
        if taken:
            taker = next(c for c in self._caseloads if referral.worker in c._roster.workers)
            assert taker is not self._caseloads[sender]
            assert len(referral.worker.cases) <= referral.worker.count_cap
            assert not taker._waiting
        seen.append(taken)
        return taken

    monkeypatch.setattr(CaseSharing, "place", checked)
    for seed in (3, 4):
        sim.run_replication(uneven_region(), 0, seed)
    assert sum(seen) > 20  # cases were shared
    tight = {f"offices.{i}.overrides": {"workforce.caseworkers": 4} for i in range(3)}
    sim.run_replication(sim.apply_overrides(uneven_region(), tight), 0, 3)
    assert not all(seen)  # and, all offices short, sometimes none had room


def test_sharing_moves_cases_from_the_short_office_and_lowers_its_waits() -> None:
    """Paired on the same seeds: with sharing, the short-staffed office waits less, sends
    cases out and takes none; the spare office takes them."""
    with_sharing, without = [], []
    base = uneven_region()
    data = base.model_dump(mode="python")
    data["sharing"] = None
    alone = sim.validate_scenario(data)
    for seed in range(4):
        with_sharing.append(sim.run_replication(base, 0, seed).by_office.set_index("office"))
        without.append(sim.run_replication(alone, 0, seed).by_office.set_index("office"))
    for on, off in zip(with_sharing, without, strict=True):
        assert on.loc["short", "wait_mean_days"] < off.loc["short", "wait_mean_days"]
        assert on.loc["short", "shared_out"] > 0 and on.loc["short", "shared_in"] == 0
        assert on.loc["spare", "shared_in"] > 0
        assert off.shared_out.sum() == 0


def test_the_whole_region_adds_the_offices_and_pools_their_distributions() -> None:
    region = Region(uneven_region(), seed=7)
    output = region.run()
    whole, offices = output.summary.as_dict(), output.by_office
    additive = [
        f
        for f, m in FIGURES.items()
        if m["unit"] in ("count", "hours", "money")
        and not f.endswith("_mean")
        and not f.startswith("cost_per")
    ]
    for figure in additive:
        assert whole[figure] == pytest.approx(offices[figure].sum(), rel=1e-9, abs=1e-9), figure
    assert whole["missed_per_1000_referrals"] == pytest.approx(
        1000 * offices.missed.sum() / offices.referrals.sum()
    )
    pooled = []
    for office in region.offices:
        for load, days in office.metrics.caseloads.items():
            pooled += [load] * days
    assert whole["caseload_p90"] == np.quantile(pooled, 0.9, method="inverted_cdf")
    assert whole["caseload_mean"] == pytest.approx(np.mean(pooled))
    assert whole["waiting_mean"] == pytest.approx(offices.waiting_mean.sum())


def test_sim_run_reports_the_region_and_each_office() -> None:
    result = sim.run(uneven_region(), replications=2, seed=1)
    assert list(result.by_office.office.unique()) == ["short", "even", "spare"]
    table = result.summary_by_office()
    assert set(table.office) == {"short", "even", "spare"}
    assert result.summary().loc["referrals", "mean"] == pytest.approx(
        result.by_office.groupby("replication").referrals.sum().mean()
    )


def test_one_budget_funds_the_offices_by_their_shares() -> None:
    data = small_office_data()
    del data["workforce"]["caseworkers"]
    data["budget"] = {"per_year": 1_000_000.0, "mix": {"caseworker": 1.0}, "caseworker_cost": 50e3}
    data["offices"] = [{"name": "a", "budget_share": 0.7}, {"name": "b", "budget_share": 0.3}]
    offices = office_scenarios(sim.validate_scenario(data))
    assert [o.staffing.caseworkers for o in offices] == [14, 6]
    result = sim.run_replication(sim.validate_scenario(data), 0, 1)
    assert result.summary.salary_cost == pytest.approx(result.by_office.salary_cost.sum())


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"offices": [{"name": "a", "overrides": {"horizon_days": 10.0}}]}, "offices[0].overrides"),
        (
            {"offices": [{"name": "a"}, {"name": "b", "overrides": {"workforce.caseworkers": 0}}]},
            "offices[1].overrides.workforce.caseworkers",
        ),
        (
            {"offices": [{"name": "a", "overrides": {"workforce.nope.x": 1}}]},
            "offices[0].overrides.workforce.nope.x",
        ),
        ({"offices": [{"name": "a"}, {"name": "a"}]}, "offices"),
        ({"sharing": {"cost_per_case": 1.0}}, "sharing"),
    ],
)
def test_a_bad_office_is_refused_in_one_line_naming_it(tmp_path, change, expected) -> None:
    path = tmp_path / "region.yaml"
    path.write_text(yaml.safe_dump({**small_office_data(), **change}))
    with pytest.raises(sim.ScenarioError) as error:
        sim.load_scenario(path)
    message = str(error.value)
    assert expected in message and "\n" not in message, message
