"""The fitted scenario as a YAML file whose every fitted figure says where it came from.

A fitted figure carries an end-of-line comment ``fitted: 95% CI a-b; n rows (which rows)``;
a section or field the data cannot give is copied from the base scenario under a comment
saying so. The file is written with ruamel.yaml (which keeps comments) and read back through
the scenario schema before it is returned, so a written file always validates.

Day 0 of the fitted scenario is the first day of the history. The scenario's seasonality is
indexed by its own months from day 0, so the fitted calendar multipliers are rotated to start
at the history's first month (each entry's comment names its calendar month).
"""

from __future__ import annotations

import copy
import io
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..scenario import Scenario, validate_scenario
from .estimates import Estimate

if TYPE_CHECKING:
    from .fit import CaseTypeFit, FitResult

__all__ = ["scenario_text"]

COLUMN = 44
"""Where end-of-line comments start."""
BASE = "base: not in the data"
_FITTED_CASE_FIELDS = ("name", "arrivals", "risk_mix", "duration")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _num(value: float, digits: int = 4) -> float | int:
    rounded = float(f"{float(value):.{digits}g}")
    return int(rounded) if rounded.is_integer() and abs(rounded) < 1e15 else rounded


def _map(data: Any) -> Any:
    """Plain data as ruamel's commented containers (so comments can be attached anywhere)."""
    if isinstance(data, dict):
        out = CommentedMap()
        for key, value in data.items():
            out[key] = _map(value)
        return out
    if isinstance(data, list):
        return CommentedSeq([_map(v) for v in data])
    return data


def _flow(data: dict) -> CommentedMap:
    out = _map(data)
    out.fa.set_flow_style()
    return out


def _note(node: CommentedMap, key: str, text: str) -> None:
    node.yaml_add_eol_comment(text, key, column=COLUMN)


def _before(node: CommentedMap, key: str, text: str, indent: int) -> None:
    node.yaml_set_comment_before_after_key(key, before=text, indent=indent)


def _fitted(node: CommentedMap, key: str, estimate: Estimate, digits: int = 4) -> None:
    node[key] = _num(estimate.value, digits)
    _note(node, key, estimate.comment())


def _arrivals(fit: CaseTypeFit, start_month: int) -> CommentedMap:
    arrivals = CommentedMap()
    _fitted(arrivals, "rate_per_year", fit.arrivals.rate)
    season = fit.arrivals.seasonality
    if season is not None:
        values = CommentedSeq()
        for k in range(12):
            month = (start_month + k) % 12
            values.append(_num(season[month].value, 3))
            values.yaml_add_eol_comment(
                f"{_MONTHS[month]}: {season[month].comment(3)}", k, column=COLUMN
            )
        arrivals["seasonality"] = values
        _note(
            arrivals,
            "seasonality",
            f"fitted: month effects test p={fit.arrivals.season_p_value:.2g}; "
            f"from {_MONTHS[start_month]} (day 0)",
        )
    elif fit.arrivals.season_p_value is not None:
        _note(
            arrivals,
            "rate_per_year",
            fit.arrivals.rate.comment()
            + f"; flat: month effects test p={fit.arrivals.season_p_value:.2g}",
        )
    if fit.arrivals.surges:
        surges = CommentedSeq()
        for i, s in enumerate(fit.arrivals.surges):
            window = {
                "start_day": _num(s.start_day, 6),
                "end_day": _num(s.end_day, 6),
                "multiplier": _num(s.multiplier, 3),
            }
            surges.append(_flow(window))
            surges.yaml_add_eol_comment(
                f"flagged: {s.month} had {s.observed} first reports, {s.expected:.1f} expected "
                f"(p={s.p_value:.1g})",
                i,
                column=COLUMN,
            )
        arrivals["surges"] = surges
    return arrivals


def _case_type(
    fit: CaseTypeFit, template: dict, template_name: str, start_month: int, types: set[str]
) -> CommentedMap:
    node = CommentedMap()
    node["name"] = fit.name
    node["arrivals"] = _arrivals(fit, start_month)
    mix = CommentedMap()
    for estimate in fit.risk_mix:
        _fitted(mix, estimate.figure.split(".", 1)[1], estimate)
    largest = max(mix, key=mix.get)  # rounding must not break the sum
    mix[largest] = round(1.0 - sum(v for k, v in mix.items() if k != largest), 10)
    node["risk_mix"] = mix
    if fit.duration is not None:
        duration = CommentedMap()
        duration["distribution"] = fit.duration.family
        _fitted(duration, "mean", fit.duration.mean)
        if fit.duration.family != "exponential":
            _fitted(duration, "sd", fit.duration.sd)
        node["duration"] = duration
        truncated = (
            f"; {fit.truncated} open at the start left out (left-truncated)"
            if fit.truncated
            else ""
        )
        _note(node, "duration", f"fitted: {fit.duration.describe_choice()}{truncated}")
    else:
        node["duration"] = _map(template["duration"])
        _note(node, "duration", f"{BASE} (fewer than two cases closed after a day or more)")
    rest = {k: v for k, v in template.items() if k not in _FITTED_CASE_FIELDS}
    pathways = rest.pop("pathways", None)
    if pathways and all(p["to"] in types for p in pathways):
        rest["pathways"] = pathways
    first = True
    for key, value in rest.items():
        node[key] = _map(value)
        if first:
            _before(
                node,
                key,
                f"from the base scenario's case type {template_name!r}: not in the data",
                4,
            )
            first = False
    return node


def _intake(result: FitResult, base: dict) -> CommentedMap:
    node = _map({k: v for k, v in base.get("intake", {}).items() if k != "threshold"})
    threshold = CommentedMap()
    for fit in result.case_types:
        _fitted(threshold, fit.name, fit.screen_out)
    node["threshold"] = threshold
    _note(node, "threshold", "fitted: the share of first reports screened out, by case type")
    for key in node:
        if key != "threshold":
            _note(node, key, BASE)
    return node


def _risk(result: FitResult, base: dict) -> CommentedMap:
    node = _map(base["risk"])
    history = result.history
    if not history.has_subjects:
        node["rereport_probability"] = 0
        _note(
            node,
            "rereport_probability",
            "no subject ids: every referral counted as a first report, so re-reports are off",
        )
    else:
        shares = {e.figure: e for e in result.rereferrals}
        after = shares.get("rereferral_12m_after_screen_out")
        seen = (
            f"; observed re-referral within 12 months of a screen-out {after.value:.1%} "
            f"(95% CI {after.low:.1%}-{after.high:.1%}, {after.rows:,} rows)"
            if after is not None and after.rows
            else ""
        )
        _note(node, "rereport_probability", f"{BASE}{seen}")
    _before(node, "tiers", "tiers and signal rates from the base scenario: not in the data", 2)
    return node


def _workforce(result: FitResult, base: dict) -> CommentedMap:
    node = _map(base["workforce"])
    count, where = result.caseworkers
    node["caseworkers"] = count
    _note(node, "caseworkers", where)
    headcount = result.staff.headcount if result.staff is not None else {}
    for role, key in (("supervisor", "supervisors"), ("support", "support_staff")):
        if headcount.get(role):
            node[key] = headcount[role]
            _note(node, key, f"fitted: in post on {result.history.start:%Y-%m-%d}")
    for key in node:
        if key not in node.ca.items:
            _note(node, key, BASE)
    return node


def _turnover(result: FitResult, base: dict) -> CommentedMap | None:
    turnover = result.staff.turnover if result.staff is not None else None
    node = _map(base.get("turnover", {}))
    if turnover is not None:
        _fitted(node, "annual_rate", turnover)
        strain = " (strain in the scenario adds to it)" if result.base.strain is not None else ""
        _note(node, "annual_rate", turnover.comment() + strain)
    return node or None


def _hiring(result: FitResult, base: dict) -> CommentedMap | None:
    node = _map(base.get("hiring", {}))
    staff = result.staff
    if staff is not None and staff.vacancy is not None:
        lag = CommentedMap()
        lag["distribution"] = staff.vacancy.family
        _fitted(lag, "mean", staff.vacancy.mean)
        if staff.vacancy.family != "exponential":
            _fitted(lag, "sd", staff.vacancy.sd)
        node["lag"] = lag
        _note(node, "lag", f"fitted: vacancy durations, {staff.vacancy.describe_choice()}")
    if staff is not None and staff.ramp is not None:
        _fitted(node, "training_days", staff.ramp.training_days, 3)
        _fitted(node, "ramp_days", staff.ramp.ramp_days, 3)
        _fitted(node, "ramp_start_share", staff.ramp.ramp_start_share, 3)
    return node or None


def _caps(result: FitResult, base: dict) -> CommentedMap | None:
    node = _map(base.get("caps", {}))
    loads = result.caseloads
    if loads is not None and len(loads) and node:
        first = next(iter(node))
        _note(
            node,
            first,
            f"{BASE}; observed caseload per worker at month ends: mean {loads['mean'].mean():.1f}, "
            f"90th percentile {loads['p90'].mean():.1f}",
        )
    return node or None


def _initial_state(result: FitResult) -> CommentedMap | None:
    initial = result.initial
    workers = result.caseworkers[0]
    if initial.open + initial.waiting == 0:
        return None
    per_worker = initial.open // workers
    node = CommentedMap()
    node["open_cases_per_worker"] = per_worker
    node["waiting"] = initial.open - per_worker * workers + initial.waiting
    _note(
        node,
        "open_cases_per_worker",
        f"fitted: {initial.open:,} cases open on {result.history.start:%Y-%m-%d} "
        f"over {workers} caseworkers",
    )
    _note(
        node,
        "waiting",
        f"fitted: {initial.waiting:,} waiting on the first day, plus the "
        f"{node['waiting'] - initial.waiting} open cases the division leaves over",
    )
    return node


def _header(result: FitResult) -> str:
    h = result.history
    staff = f" and {h.staff_source} ({len(h.staff):,} rows)" if h.staff is not None else ""
    lines = [
        f"Fitted by `caseload fit` from {h.source} ({len(h.referrals):,} rows){staff},",
        f"over the history {h.start:%Y-%m-%d} to {h.end - _day():%Y-%m-%d} ({h.days:g} days).",
        f"Day 0 of this scenario is {h.start:%Y-%m-%d}.",
        "A figure marked 'fitted' was estimated from the data: its 95% interval and the rows",
        "it came from follow it. Everything else comes from the base scenario",
        f"{result.base.name!r} ({result.base_source}) and is marked 'base':",
        "the data cannot give it.",
    ]
    lines += [f"Odd rows: {odd.describe()}" for odd in h.odd]
    return "\n".join(lines)


def _day() -> pd.Timedelta:
    return pd.Timedelta(days=1)


def _template(base: dict, name: str) -> tuple[dict, str]:
    types = base["case_types"]
    chosen = next((t for t in types if t["name"] == name), types[0])
    return copy.deepcopy(chosen), chosen["name"]


def scenario_text(result: FitResult) -> tuple[str, Scenario]:
    """The fitted scenario's YAML (with comments) and the scenario it validates to."""
    base = copy.deepcopy(result.base_data)
    h = result.history
    doc = CommentedMap()
    stem = h.source.rsplit("/", 1)[-1].rsplit(".", 1)[0].strip("<>")
    doc["name"] = f"fitted_{stem}"
    doc["description"] = (
        f"Fitted from {h.source}, {h.start:%Y-%m-%d} to {(h.end - _day()):%Y-%m-%d}; "
        f"base scenario {result.base.name}"
    )
    doc["horizon_days"] = _num(h.days, 8)
    _note(doc, "horizon_days", "the history's length (the back-test runs over it)")
    doc["warmup_days"] = 0
    _note(doc, "warmup_days", "none: the run starts from the history's first-day caseload")
    for key in ("replications", "seed"):
        if key in base:
            doc[key] = base[key]
            _note(doc, key, BASE)
    doc["risk"] = _risk(result, base)
    doc["intake"] = _intake(result, base)
    types = {fit.name for fit in result.case_types}
    cases = CommentedSeq()
    for fit in result.case_types:
        template, template_name = _template(base, fit.name)
        cases.append(_case_type(fit, template, template_name, h.start.month - 1, types))
    doc["case_types"] = cases
    sections = {
        "caps": _caps(result, base),
        "workforce": _workforce(result, base),
        "turnover": _turnover(result, base),
        "hiring": _hiring(result, base),
    }
    budget = base.get("budget")
    if budget and "per_year" in budget:  # the positions are counted, not funded
        staffing = result.base.staffing
        budget = {k: v for k, v in budget.items() if k not in ("per_year", "mix")}
        base["workforce"] = {
            **base["workforce"],
            "supervisors": staffing.supervisors,
            "support_staff": staffing.support_staff,
        }
        sections["workforce"] = _workforce(result, base)
        base["budget"] = budget
    order = [
        "caps",
        "workforce",
        "supervision",
        "support",
        "technology",
        "strain",
        "turnover",
        "hiring",
        "budget",
        "policies",
        "triage",
    ]
    for key in order:
        value = sections[key] if key in sections else base.get(key)
        if value is None or (isinstance(value, dict) and not value and key not in sections):
            continue
        doc[key] = value if key in sections else _map(value)
        if key not in sections:
            _before(doc, key, f"{key}: from the base scenario, not in the data", 0)
    initial = _initial_state(result)
    if initial is not None:
        doc["initial_state"] = initial
    writer = YAML(typ="rt")
    writer.width = 4096
    writer.indent(mapping=2, sequence=4, offset=2)
    stream = io.StringIO()
    writer.dump(doc, stream)
    header = "".join(f"# {line}\n" if line else "#\n" for line in _header(result).splitlines())
    text = header + stream.getvalue()
    scenario = validate_scenario(yaml.safe_load(text), f"the fitted scenario of {h.source}")
    return text, scenario
