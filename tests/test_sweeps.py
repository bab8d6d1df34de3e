"""Sweeps: designs, engines that agree bit for bit, resumable results, failures recorded."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from conftest import ROOT, small_office_data

import sim
from sim.cli import main

EXAMPLE = ROOT / "scenarios" / "sweeps" / "budget_vs_threshold.yaml"


def write_sweep(folder: Path, sweep: dict, base: dict | None = None) -> Path:
    """A sweep file and its base scenario, written to ``folder``."""
    (folder / "base.yaml").write_text(yaml.safe_dump(base or small_office_data()))
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump({"name": "test", "base": "base.yaml", **sweep}))
    return path


SMALL = {
    "replications": 2,
    "seed": 5,
    "design": "grid",
    "factors": [
        {"path": "workforce.caseworkers", "values": [4, 6]},
        {"path": "intake.threshold", "range": [0.3, 0.6], "levels": 2},
    ],
    "overrides": {"horizon_days": 150.0, "warmup_days": 30.0},
}


# ------------------------------------------------------------------ designs


def plan(**sweep) -> sim.experiments.design.SweepPlan:
    return sim.sweep_over(sim.validate_scenario(small_office_data()), **sweep)


def test_grid_has_the_product_of_the_levels():
    design = plan(
        factors=[
            {"path": "workforce.caseworkers", "values": [4, 5, 6]},
            {"path": "intake.threshold", "range": [0.2, 0.6], "levels": 5},
            {"path": "caps.count", "values": [8, 12]},
        ]
    ).design
    assert len(design) == 3 * 5 * 2
    assert len(design.drop_duplicates()) == len(design)
    assert sorted(design["intake.threshold"].unique()) == pytest.approx([0.2, 0.3, 0.4, 0.5, 0.6])


@pytest.mark.parametrize("kind", ["lhs", "sobol"])
def test_sampled_designs_lie_in_their_ranges_and_repeat_with_the_seed(kind):
    factors = [
        {"path": "workforce.caseworkers", "range": [3, 9], "integer": True},
        {"path": "intake.threshold", "range": [0.2, 0.6]},
        {"path": "triage", "values": ["risk_first", "fifo"]},
    ]
    first = plan(design=kind, samples=32, seed=3, factors=factors).design
    again = plan(design=kind, samples=32, seed=3, factors=factors).design
    other = plan(design=kind, samples=32, seed=4, factors=factors).design
    assert len(first) == 32
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)
    workers, threshold = first["workforce.caseworkers"], first["intake.threshold"]
    assert workers.between(3, 9).all() and (workers == workers.round()).all()
    assert threshold.between(0.2, 0.6).all()
    assert set(first["triage"]) == {"risk_first", "fifo"}
    # Space-filling: every eighth of the threshold range holds some of the 32 points.
    assert len(np.unique(np.floor((threshold - 0.2) / 0.05))) == 8


def test_lhs_puts_one_point_in_each_stratum():
    design = plan(
        design="lhs", samples=10, factors=[{"path": "intake.threshold", "range": [0.0, 1.0]}]
    ).design
    strata = np.floor(design["intake.threshold"] * 10).astype(int)
    assert sorted(strata) == list(range(10))


def test_list_design_takes_points_as_given():
    points = [{"workforce.caseworkers": 4}, {"workforce.caseworkers": 7, "caps.count": 9}]
    design = plan(design="list", points=points).design
    assert len(design) == 2
    assert plan(design="list", points=points).changes(0) == {"workforce.caseworkers": 4}


def test_a_list_point_that_leaves_a_factor_out_runs_and_shows_the_base_value(tmp_path):
    """Regression: a point leaving out an integer factor another point names turned that
    factor into floats (11 became 11.0), and the scenario refused the other point's value."""
    points = [
        {},
        {"workforce.caseworkers": 7},
        {"hiring.lag": {"distribution": "gamma", "mean": 20.0, "sd": 7.0}},
        {"workforce.caseworkers": 5, "intake.threshold": 0.6},
    ]
    sweep = {
        "replications": 2,
        "seed": 5,
        "design": "list",
        "points": points,
        "overrides": {"horizon_days": 120.0, "warmup_days": 20.0, "workforce.caseworkers": 6},
    }
    plan = sim.load_sweep(write_sweep(tmp_path, sweep))
    design = plan.design
    # Factors keep their types; a point that leaves one out shows the (overridden) base value.
    assert design["workforce.caseworkers"].tolist() == [6, 7, 6, 5]
    assert pd.api.types.is_integer_dtype(design["workforce.caseworkers"])
    assert design["intake.threshold"].tolist() == [0.4, 0.4, 0.4, 0.6]
    assert design["hiring.lag"][2] == {"distribution": "gamma", "mean": 20.0, "sd": 7.0}
    assert design["hiring.lag"][0] == plan.base.model_dump(mode="json")["hiring"]["lag"]
    # Each point changes what it names, with the values as given.
    assert plan.changes(1)["workforce.caseworkers"] == 7
    assert type(plan.changes(1)["workforce.caseworkers"]) is int
    assert plan.changes(2) == {**sweep["overrides"], "hiring.lag": points[2]["hiring.lag"]}
    report = sim.run_sweep(plan, tmp_path / "out", engine="serial")
    assert (report.ran, report.failed) == (8, 0)
    table = sim.load_results(tmp_path / "out")
    assert (table.status == "ok").all(), table.error.unique()
    assert table.groupby("point")["workforce.caseworkers"].first().tolist() == [6, 7, 6, 5]
    assert pd.api.types.is_integer_dtype(table["workforce.caseworkers"])
    summary = sim.summarise_results(table, ["headcount_mean"]).set_index("point")
    assert summary["mean"].notna().all() and (summary["failed"] == 0).all()
    # The staffing took effect: point 1 has more caseworkers in post than point 3.
    assert summary.loc[1, "mean"] > summary.loc[3, "mean"]


# Bad sweep files (designs, factors, paths, the base scenario, overrides) are in the
# corpus tests/bad_inputs/sweeps/, run by tests/test_sweep_faults.py.


# ------------------------------------------------------------------ running


def test_every_point_and_replication_once_with_common_random_numbers(tmp_path):
    plan = sim.load_sweep(write_sweep(tmp_path, SMALL))
    report = sim.run_sweep(plan, tmp_path / "out", engine="serial")
    assert (report.ran, report.failed, report.skipped) == (8, 0, 0)
    table = sim.load_results(tmp_path / "out")
    assert len(table) == 8
    assert sorted(zip(table.point, table.replication, strict=True)) == [
        (p, r) for p in range(4) for r in range(2)
    ]
    # Replication r of every point sees the same referrals (caseworkers and threshold
    # change nothing upstream of screening).
    for _, runs in table.groupby("replication"):
        assert runs.referrals.nunique() == 1
    # The factor values are in the table, and they took effect.
    assert set(table["workforce.caseworkers"]) == {4, 6}
    low = table[table["intake.threshold"] == 0.3].screened_out_share.mean()
    high = table[table["intake.threshold"] == 0.6].screened_out_share.mean()
    assert high > low + 0.2
    manifest = sim.experiments.results.load_manifest(tmp_path / "out")
    assert manifest["common_random_numbers"] and manifest["seed"] == 5
    assert manifest["package_version"] == sim.__version__
    assert len(manifest["scenario_hash"]) == 64


def test_a_point_that_raises_is_recorded_and_the_rest_complete(tmp_path):
    sweep = {**SMALL, "factors": [{"path": "caps.count", "values": [0, 10]}]}
    plan = sim.load_sweep(write_sweep(tmp_path, sweep))
    report = sim.run_sweep(plan, tmp_path / "out", engine="serial")
    assert report.failed == 2 and report.ran == 4
    table = sim.load_results(tmp_path / "out")
    failed = table[table.status == "failed"]
    assert set(failed.point) == {0}
    assert failed.error.str.contains("caps.count").all()
    assert failed.error.str.contains("greater than or equal to 1").all()
    assert table[table.status == "ok"].referrals.notna().all()
    summary = sim.summarise_results(table, ["missed"])
    assert summary.set_index("point").loc[0, "failed"] == 2


def test_failed_runs_are_explained_and_the_commands_exit_3(tmp_path):
    """`caseload sweep` and `caseload results` print each distinct reason runs failed, with
    its count and points, and exit 3; the table is printed all the same."""
    sweep = {
        "replications": 2,
        "seed": 5,
        "design": "list",
        "points": [{"caps.count": 0}, {"caps.count": 10}, {"intake.threshold": 1.5}, {}],
        "overrides": {"horizon_days": 100.0, "warmup_days": 20.0},
    }
    path = write_sweep(tmp_path, sweep)
    out = tmp_path / "out"
    runner = CliRunner()
    ran = runner.invoke(main, ["sweep", str(path), "--out", str(out), "--engine", "serial"])
    assert ran.exit_code == 3, ran.output
    assert "8 run(s) done, 4 failed" in ran.stderr
    lines = ran.stderr.splitlines()
    start = lines.index("4 run(s) failed, for 2 reasons:")
    reasons = lines[start + 1 :]
    assert len(reasons) == 2
    caps = next(line for line in reasons if "caps.count" in line)
    threshold = next(line for line in reasons if "intake.threshold" in line)
    assert caps.startswith("  2 run(s) at point 0: ") and "greater than or equal to 1" in caps
    assert threshold.startswith("  2 run(s) at point 2: ")
    assert "less than or equal to 1" in threshold
    assert "(2 failed)" in ran.stdout  # the table still shows every point
    again = runner.invoke(main, ["results", str(out)])
    assert again.exit_code == 3
    assert again.stderr.splitlines()[-3:] == lines[start:]
    # A sweep with no failed run exits 0, and so does its results folder.
    good = write_sweep(tmp_path, {**sweep, "points": [{"caps.count": 10}, {}]})
    fine = runner.invoke(main, ["sweep", str(good), "--out", str(tmp_path / "ok"), "-j", "1"])
    assert fine.exit_code == 0 and "failed, for" not in fine.stderr
    assert runner.invoke(main, ["results", str(tmp_path / "ok")]).exit_code == 0


@pytest.fixture(scope="module")
def example_serial(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "out"
    sim.run_sweep(sim.load_sweep(EXAMPLE), out, engine="serial")
    return sim.load_results(out)


def test_processes_give_the_same_rows_as_serial(example_serial, tmp_path):
    sim.run_sweep(sim.load_sweep(EXAMPLE), tmp_path / "out", engine="processes", jobs=2)
    pd.testing.assert_frame_equal(example_serial, sim.load_results(tmp_path / "out"))


def test_a_dask_cluster_on_loopback_gives_the_same_rows(example_serial, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # 8787 may be held
    ) as cluster:
        sim.run_sweep(
            sim.load_sweep(EXAMPLE),
            tmp_path / "out",
            engine="dask",
            scheduler=cluster.scheduler_address,
        )
    pd.testing.assert_frame_equal(example_serial, sim.load_results(tmp_path / "out"))


def test_results_folder_is_not_overwritten_or_mixed(tmp_path):
    path = write_sweep(tmp_path, SMALL)
    out = tmp_path / "out"
    runner = CliRunner()
    assert (
        runner.invoke(main, ["sweep", str(path), "--out", str(out), "--engine", "serial"]).exit_code
        == 0
    )
    again = runner.invoke(main, ["sweep", str(path), "--out", str(out), "--engine", "serial"])
    assert again.exit_code == 2 and "--resume" in again.stderr
    assert len(again.stderr.splitlines()) == 1  # refused before the sweep's banner
    resumed = runner.invoke(
        main, ["sweep", str(path), "--out", str(out), "--engine", "serial", "--resume"]
    )
    assert resumed.exit_code == 0 and "0 run(s) done" in resumed.stderr
    assert f"engine serial, 8 of 8 already in {out}\n" in resumed.stderr  # the banner
    assert refused_resume(tmp_path, out, {**SMALL, "seed": 6}) == (
        f"caseload: {out}: holds the results of a different sweep, its seed 5 (this sweep's: "
        "6): its rows are not this sweep's; use a new folder"
    )
    base = small_office_data(**{"workforce.hours_per_day": 7.5})
    assert refused_resume(tmp_path, out, SMALL, base).startswith(
        f"caseload: {out}: holds the results of a different sweep, its base scenario's "
        "workforce.hours_per_day: "
    )
    # A folder whose rows were made by other model code, or by a version that did not say.
    made = (out / "manifest.json").read_text()
    manifest = json.loads(made)
    (out / "manifest.json").write_text(json.dumps({**manifest, "model_code": "0" * 64}))
    assert refused_resume(tmp_path, out, SMALL) == (
        f"caseload: {out}: holds the results of a different sweep, its rows made by other model "
        f"code (SHA-256 000000000000... there, {manifest['model_code'][:12]}... here: the model "
        "changed since the sweep began): its rows are not this sweep's; use a new folder"
    )
    del manifest["model_code"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert refused_resume(tmp_path, out, SMALL) == (
        f"caseload: {out}: holds the results of a different sweep, its rows made by a model "
        "whose code it does not record (an earlier version): its rows are not this sweep's; use "
        "a new folder"
    )
    # A folder made by an earlier version, whose scenarios lacked a field this one has.
    manifest = json.loads(made)
    del manifest["base_scenario"]["budget"]["currency"]
    manifest["scenario_hash"] = "an earlier version's"
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert refused_resume(tmp_path, out, SMALL) == (
        f"caseload: {out}: holds the results of a different sweep, its base scenario's "
        "budget.currency: absent there, 'USD' here (made by an earlier version of caseload-sim, "
        "whose scenarios lacked it?): its rows are not this sweep's; use a new folder"
    )
    assert len(sim.load_results(out)) == 8


def test_the_model_code_changes_with_the_models_source_and_only_with_it(tmp_path):
    """The hash a results folder records changes when a file that decides rows changes (the
    model's core, the scenario schema), and not when one that only reads rows does (a plot):
    measured on a copy of the package, each edit a comment."""
    copy = tmp_path / "sim"
    shutil.copytree(Path(sim.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    script = (
        "import sys, sim.experiments.results as r\n"
        "assert r.__file__.startswith(sys.argv[1]), r.__file__\n"
        "for edit in sys.argv[2:]:\n"
        "    if edit != '-':\n"
        "        open(edit, 'a').write('# an edit\\n')\n"
        "    r.model_code.cache_clear()\n"
        "    print(r.model_code())\n"
    )
    edits = ["-", copy / "analysis/plots.py", copy / "core/risk.py", copy / "scenario/schema.py"]
    printed = subprocess.run(
        [sys.executable, "-c", script, str(copy), *map(str, edits)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    untouched, after_plot, after_core, after_schema = printed
    assert untouched == sim.experiments.results.model_code()  # the copy hashes as the original
    assert after_plot == untouched
    assert len({untouched, after_core, after_schema}) == 3


def refused_resume(tmp_path: Path, out: Path, sweep: dict, base: dict | None = None) -> str:
    """The one line with which ``--resume`` of ``sweep`` into ``out`` is refused (exit 2)."""
    path = write_sweep(tmp_path, sweep, base)
    arguments = ["sweep", str(path), "--out", str(out), "--engine", "serial", "--resume"]
    mixed = CliRunner().invoke(main, arguments)
    assert mixed.exit_code == 2, mixed.output
    assert len(mixed.stderr.splitlines()) == 1
    return mixed.stderr.strip()


# A sweep killed mid-way (SIGKILL to its main process, on every engine) and resumed:
# tests/test_sweep_faults.py, with Ctrl-C, SIGTERM and a run that hangs.


def test_results_command_prints_means_and_intervals(tmp_path):
    path = write_sweep(tmp_path, SMALL)
    out = tmp_path / "out"
    sim.run_sweep(sim.load_sweep(path), out, engine="serial")
    runner = CliRunner()
    table = runner.invoke(main, ["results", str(out), "--outcome", "missed"])
    assert table.exit_code == 0
    assert "Missed risk (harms)" in table.stdout and "95% CI" in table.stdout
    csv = runner.invoke(main, ["results", str(out), "--format", "csv"])
    frame = pd.read_csv(pd.io.common.StringIO(csv.stdout))
    assert len(frame) == 4 * len(sim.FIGURES)
    assert {"point", "workforce.caseworkers", "outcome", "mean", "ci_low", "ci_high"} <= set(
        frame.columns
    )
    bad = runner.invoke(main, ["results", str(tmp_path)])
    assert bad.exit_code == 2 and "manifest.json" in bad.stderr


def test_rows_stream_to_shards_as_they_come(tmp_path):
    """Memory stays flat: at most shard_rows rows wait before a shard is written."""
    plan = sim.load_sweep(write_sweep(tmp_path, SMALL))
    store = sim.experiments.results.ResultStore(tmp_path / "out", plan, shard_rows=3)
    for i, row in enumerate(sim.experiments.engines.run_tasks(plan.tasks(), "serial")):
        store.add(row)
        assert len(store._buffer) < 3
        assert len(list(store.shards.glob("part-*.parquet"))) == (i + 1) // 3
    store.flush()
    assert len(list(store.shards.glob("part-*.parquet"))) == 3  # 3 + 3 + 2 rows
    assert not list(store.shards.glob(".tmp-*")), "no temporary file is left behind"


LATE_DASK_LOG = """
import logging, sys
import sim
plan = sim.load_sweep(sys.argv[1])
rows = sim.experiments.engines.run_tasks(plan.tasks(), "dask", jobs=2)
next(rows)
rows.close()  # what a KeyboardInterrupt in the loop over the rows does
print("closed", file=sys.stderr, flush=True)
logging.getLogger("distributed.batched").info("Batched Comm Closed <TCP (closed)>")
"""


def test_a_dask_sweep_stopped_early_lets_no_late_dask_log_through(tmp_path):
    """A sweep on a local Dask cluster stopped after its first row (as Ctrl-C stops it), in a
    process of its own with Dask's own logging: Dask's account of the connections the stop
    closes, logged on its own thread as late as after the cluster has closed (a "Batched
    Comm Closed" traceback at INFO), must not come between the sweep's lines on stderr."""
    pytest.importorskip("dask.distributed")
    path = write_sweep(tmp_path, SMALL)
    result = subprocess.run(
        [sys.executable, "-c", LATE_DASK_LOG, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[-1] == "closed", result.stderr


RUN_TASK = sim.experiments.engines.run_task


def dies_on_point_2(task):
    """A worker that is killed whenever it reaches point 2 (module level: picklable)."""
    if task.point == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return RUN_TASK(task)


def test_a_task_that_kills_its_worker_every_time_is_a_failed_row(tmp_path, monkeypatch):
    """A run that kills its worker process (as SIGKILL or the OOM killer would) is tried
    again in a new worker, then recorded as failed with how the process died: no endless
    retries, exit 3 (runs failed) saying why, and the other tasks give the rows of a serial
    sweep."""
    path = write_sweep(tmp_path, SMALL)
    serial = tmp_path / "serial"
    sim.run_sweep(sim.load_sweep(path), serial, engine="serial")

    out = tmp_path / "out"
    monkeypatch.setattr(sim.experiments.engines, "run_task", dies_on_point_2)
    options = ["--out", str(out), "--jobs", "2", "--shard-rows", "1", "--no-progress"]
    result = CliRunner().invoke(main, ["sweep", str(path), *options])
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.stderr
    assert "8 run(s) done, 2 failed" in result.stderr
    assert (
        "  2 run(s) at point 2: the worker process died running it, twice (each time in a new "
        "process): killed by SIGKILL"
    ) in result.stderr
    assert "(2 failed)" in result.stdout  # the closing table marks the point
    rows = sim.load_results(out)
    failed = rows[rows.status == "failed"]
    assert set(failed.point) == {2} and len(failed) == 2
    assert (
        failed.error
        == "the worker process died running it, twice (each time in a new process): killed by "
        "SIGKILL (out of memory, or killed)"
    ).all()
    assert failed.referrals.isna().all()
    others = rows[rows.point != 2].reset_index(drop=True)
    expected = sim.load_results(serial).query("point != 2").reset_index(drop=True)
    pd.testing.assert_frame_equal(others, expected)


def test_an_exception_inside_a_run_is_recorded_with_where_it_came_from(tmp_path, monkeypatch):
    real = sim.experiments.engines.run_replication

    def breaks_on_replication_1(scenario, replication, seed, **options):
        if replication == 1:
            raise RuntimeError("the model broke")
        return real(scenario, replication, seed, **options)

    monkeypatch.setattr(sim.experiments.engines, "run_replication", breaks_on_replication_1)
    plan = sim.load_sweep(write_sweep(tmp_path, SMALL))
    report = sim.run_sweep(plan, tmp_path / "out", engine="serial")
    assert (report.ran, report.failed) == (8, 4)
    failed = sim.load_results(tmp_path / "out").query("status == 'failed'")
    assert set(failed.replication) == {1}
    assert failed.error.str.startswith("RuntimeError: the model broke (test_sweeps.py:").all()
