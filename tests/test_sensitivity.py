"""docs/sensitivity.py, the global sensitivity of the calibrated scenarios' headline answers:
its machinery at a tiny size, and docs/sensitivity.md filled from the shipped sweep files."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT, docs_script

import sim

SCRIPT = ROOT / "docs" / "sensitivity.py"


@pytest.fixture(scope="module")
def sensitivity():
    with docs_script("sensitivity") as module:
        yield module


@pytest.fixture(scope="module")
def tiny(sensitivity, tmp_path_factory):
    """child_protection for 150 days, 32 points: the high-risk signal rate over a wide range,
    and the training cost, which only the budget reads (no influence on either answer)."""
    base = sim.load_scenario(ROOT / "scenarios" / "child_protection.yaml")
    plan = sim.sweep_over(
        base,
        name="tiny_sensitivity",
        replications=1,
        seed=5,
        design="sobol",
        samples=32,
        factors=[
            {"path": "risk.tiers.2.signals_per_year", "range": [0.2, 3.0]},
            {"path": "budget.training_cost", "range": [5000.0, 15000.0]},
        ],
        overrides={"horizon_days": 150, "warmup_days": 30},
    )
    folder = tmp_path_factory.mktemp("tiny") / "results"
    table = sensitivity.run_design(plan, folder, jobs=1)
    base_runs = sensitivity.base_point(plan, seeds=3)
    return plan, folder, table, sensitivity.analyse("tiny", plan, table, base_runs, resamples=200)


def _index(result, factor, outcome):
    table = result.indices
    return table[(table.factor == factor) & (table.outcome == outcome)].iloc[0]


def test_the_indices_find_the_signal_rate_and_not_the_training_cost(tiny, sensitivity):
    _, _, table, result = tiny
    assert result.runs == 32 and (table.status == "ok").all()
    missed = "missed_per_1000_referrals"
    rate = _index(result, "risk.tiers.2.signals_per_year", missed)
    cost = _index(result, "budget.training_cost", missed)
    dummy = _index(result, sensitivity.DUMMY, missed)
    # Missed risk per 1,000 grows with the high-risk signal rate (x15 over the range): almost
    # all its variance is the rate's. The training cost is never read by the model: its index
    # is no more than chance binning gives the dummy (both about 2/32 in expectation).
    assert rate.S1 > 0.7 and rate.S1 - rate.S1_conf > 0.5
    assert cost.S1 < 0.3 and dummy.S1 < 0.3
    assert rate.S1 - rate.S1_conf > cost.S1
    # Every run of the design is in the table once, and the base point ran its seeds.
    assert sorted(table.point) == list(range(32))
    assert result.seeds == 3 and result.seed_sd[missed] > 0


def test_a_stopped_design_resumes_without_running_again(tiny, sensitivity):
    plan, folder, table, _ = tiny
    again = sensitivity.run_design(plan, folder, jobs=1)
    assert len(again) == len(table)
    assert again.sort_values("point").missed_per_1000_referrals.tolist() == (
        table.sort_values("point").missed_per_1000_referrals.tolist()
    )


def test_the_tables_go_between_the_markers_and_the_prose_stays(tiny, sensitivity, tmp_path):
    *_, result = tiny
    doc = tmp_path / "sensitivity.md"
    prose = "# Title\n\nWritten by hand.\n\n"
    doc.write_text(f"{prose}{sensitivity.BEGIN}\nold\n{sensitivity.END}\n\nAfter.\n")
    section = sensitivity.markdown(result)
    sensitivity.write_tables([section], doc)
    sensitivity.write_tables([section], doc)  # twice: the same file
    text = doc.read_text()
    assert text.startswith(prose) and text.endswith(f"{sensitivity.END}\n\nAfter.\n")
    assert "old" not in text and text.count(section) == 1
    for factor in ("risk.tiers.2.signals_per_year", "budget.training_cost"):
        assert f"| `{factor}` | " in section
    assert "| `risk.tiers.2.signals_per_year` | 1.5 | 0.2 to 3 |" in section
    sensitivity.figure([result], tmp_path / "figure.png")
    assert (tmp_path / "figure.png").stat().st_size > 10_000


def test_the_sensitivity_doc_holds_every_calibrated_scenario(sensitivity):
    """docs/sensitivity.md is filled (not the placeholder), from the shipped sweep files as they
    are: every scenario's section has its design's size and every swept assumption, and the
    prose names each scenario."""
    text = (ROOT / "docs" / "sensitivity.md").read_text(encoding="utf-8")
    assert "Placeholder" not in text
    tables = text.split(sensitivity.BEGIN)[1].split(sensitivity.END)[0]
    prose = text.replace(tables, "")
    sections = re.split(r"^### ", tables, flags=re.M)[1:]
    assert [s.split("`")[1] for s in sections] == [f"{n}.yaml" for n in sensitivity.SCENARIOS]
    for name, section in zip(sensitivity.SCENARIOS, sections, strict=True):
        plan = sensitivity.sweep_plan(name)
        runs = int(re.match(r"`[^`]+`: (\d+) runs", section).group(1))
        assert 0.95 * plan.size <= runs <= plan.size, name
        for factor in plan.sweep.factors:
            low, high = factor.range
            assert f"| `{factor.path}` | " in section, (name, factor.path)
            assert f"| {low:g} to {high:g} |" in section, (name, factor.path)
        assert re.search(rf"^## .*`{name}\.yaml`", prose, flags=re.M), name
    assert "docs/sensitivity.md" in (ROOT / "README.md").read_text()
