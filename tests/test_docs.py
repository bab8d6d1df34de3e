"""The reference docs name every figure and every scenario field, so they cannot fall behind."""

from __future__ import annotations

import re
import runpy
from typing import get_args

import pytest
from conftest import ROOT, small_office_data
from pydantic import BaseModel

import sim
import sim.core.summary
from sim.core.records import ReferralRecord
from sim.scenario import Scenario

DOCS = ROOT / "docs"


def test_outputs_doc_defines_every_figure():
    text = (DOCS / "outputs.md").read_text()
    missing = [name for name in sim.FIGURES if f"| `{name}` |" not in text]
    assert not missing, f"docs/outputs.md does not define {missing}"
    assert all(f"`{field}`" in text for field in ReferralRecord._fields)


@pytest.mark.fast
def test_each_figure_made_afresh_has_the_unit_docs_outputs_gives():
    """Each figure's label, unit and section, as the code of ``sim.core.summary`` builds them
    when run afresh (the metadata is made once, at import: run again here, in a namespace of
    its own, so that a change to how it is made shows), has a label and a section, and the
    unit docs/outputs.md gives it."""
    figures = runpy.run_path(sim.core.summary.__file__, run_name="sim.core.summary")["FIGURES"]
    documented = dict(
        re.findall(r"^\| `(\w+)` \| ([^|]+?) \|", (DOCS / "outputs.md").read_text(), re.M)
    )
    assert list(figures) == list(sim.FIGURES)
    for name, meta in figures.items():
        assert meta["label"] and meta["section"], name
        assert meta["unit"] == documented[name], name


def _fields(model: type[BaseModel]) -> set[str]:
    names = set()
    for name, info in model.model_fields.items():
        names.add(name)
        for arg in [info.annotation, *get_args(info.annotation)]:
            for inner in [arg, *get_args(arg)]:
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    names |= _fields(inner)
    return names


def test_scenarios_doc_names_every_field():
    text = (DOCS / "scenarios.md").read_text()
    quoted = " ".join(re.findall(r"`([^`]+)`", text))
    missing = sorted(n for n in _fields(Scenario) if not re.search(rf"\b{n}\b", quoted))
    assert not missing, f"docs/scenarios.md does not describe {missing}"


def test_readme_starts_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    assert "pip install . && caseload run scenarios/minimal.yaml" in text
    assert 'pip install -e ".[test,dask,notebook]" && pytest' in text
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'pip install --quiet -e ".[test,dask,notebook]"' in ci and "pytest" in ci


def test_outputs_doc_defines_every_timeseries_column():
    scenario = sim.validate_scenario(small_office_data(horizon_days=30.0, warmup_days=0.0))
    columns = sim.run(scenario, replications=1, timeseries=True).timeseries.columns
    text = (DOCS / "outputs.md").read_text()
    missing = [c for c in columns if c != "replication" and f"`{c}`" not in text]
    assert not missing, f"docs/outputs.md does not describe the time-series columns {missing}"


def test_sweeps_doc_names_every_sweep_field():
    from sim.experiments.design import Factor, Sweep

    text = (DOCS / "sweeps.md").read_text()
    names = [*Sweep.model_fields, *Factor.model_fields]
    missing = [n for n in names if f"`{n}`" not in text and f"`factors[].{n}`" not in text]
    assert not missing, f"docs/sweeps.md does not describe {missing}"


def test_analysis_doc_covers_every_public_function_and_figure():
    from sim import analysis
    from sim.analysis import plots

    text = (DOCS / "analysis.md").read_text()
    names = [n for n in analysis.__all__ if n[0].islower()] + list(plots.__all__)
    missing = [n for n in names if f"`{n}(" not in text and f"`{n}`" not in text]
    assert not missing, f"docs/analysis.md does not describe {missing}"
    for image in re.findall(r"\(figures/([^)]+\.png)\)", text):
        assert (DOCS / "figures" / image).is_file(), image


@pytest.mark.parametrize(
    "doc", ["README.md", *sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob("docs/*.md"))]
)
def test_every_scenario_file_a_doc_names_exists(doc):
    """A command copied from the docs finds its scenario or sweep file (a missing one was
    found in the optimiser's example). Error messages quoted in the docs are not commands."""
    commands = re.findall(r"^\s*(?:caseload [a-z]|python ).*$", (ROOT / doc).read_text(), re.M)
    path = r"(?<![\w/.])((?:scenarios|examples)/[\w/.-]+\.(?:yaml|csv))"
    named = {found for line in commands for found in re.findall(path, line)}
    missing = sorted(path for path in named if not (ROOT / path).exists())
    assert not missing, f"{doc} names {missing}"
