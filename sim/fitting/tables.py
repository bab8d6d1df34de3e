"""An agency's history as two tables, read and checked: past referrals and, optionally, staff.

The **referrals** table has one row per referral: when it was received, its case type, whether
it was screened in or out, when it was assigned to a worker and closed (empty while open), its
assessed risk level, and optionally its worker and its subject (the person referred, so that a
second referral about the same person is recognised as a re-referral). The **staff** table has
one row per spell in post: worker, role, start date, leave date (empty while in post), and
optionally the position (the post) the worker held. Column names are mapped by a small mapping
file or by options; dates are parsed by pandas.

Bad data stops with one line naming the file, the row (as a spreadsheet shows it: the header
is row 1) and the column: an unparseable date, a closure before its receipt, an unknown
screening value, an empty table. Rows that are merely odd (an id seen before, a screened-in
referral without a risk level) are counted and reported in :class:`OddRows`, never dropped in
silence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ScenarioError
from ..scenario.loading import load_yaml
from ..scenario.messages import as_scenario_error

__all__ = [
    "REFERRAL_COLUMNS",
    "STAFF_COLUMNS",
    "ColumnMapping",
    "History",
    "OddRows",
    "load_mapping",
    "read_history",
]

REFERRAL_COLUMNS = {
    "id": "the referral's id (optional; duplicates are reported)",
    "received": "the date the referral was received",
    "case_type": "its case type",
    "screening": "screened in or out",
    "assigned": "the date it was assigned to a worker (empty if never)",
    "closed": "the date it was closed (empty while open)",
    "risk_level": "its assessed risk level (a tier of the base scenario)",
    "worker": "the worker who holds or last held it (optional)",
    "subject": "the person referred (optional; recognises re-referrals)",
}
"""The referrals table's columns, by their names in this program."""
REFERRALS_REQUIRED = ("received", "case_type", "screening")

STAFF_COLUMNS = {
    "worker": "the worker's id",
    "role": "caseworker, supervisor, support or agency (optional: all caseworkers)",
    "start": "the date the spell in post began",
    "leave": "the date it ended (empty while in post)",
    "position": "the post held (optional; pairs each vacancy with its own filling)",
}
"""The staff table's columns, by their names in this program."""
STAFF_REQUIRED = ("worker", "start")

DEFAULT_IN = ["in", "screened in", "screened_in", "screened-in", "accepted", "opened"]
DEFAULT_OUT = ["out", "screened out", "screened_out", "screened-out", "rejected"]
ROLES = ("caseworker", "supervisor", "support", "agency")

_MAPPING_CONFIG = ConfigDict(extra="forbid", strict=True, frozen=True)


class ReferralsMapping(BaseModel):
    """How the referrals table names its columns and values."""

    model_config = _MAPPING_CONFIG
    columns: dict[str, str] = {}
    """``{name in this program: name in the file}``."""
    screened_in: list[str] = Field(default_factory=lambda: list(DEFAULT_IN))
    screened_out: list[str] = Field(default_factory=lambda: list(DEFAULT_OUT))
    risk_levels: dict[str, str] = {}
    """``{value in the file: tier name}``; values not named are taken as tier names."""


class StaffMapping(BaseModel):
    """How the staff table names its columns and roles."""

    model_config = _MAPPING_CONFIG
    columns: dict[str, str] = {}
    roles: dict[str, list[str]] = {}
    """``{caseworker|supervisor|support|agency: [values in the file]}``."""


class ColumnMapping(BaseModel):
    """A mapping file: column names and values of the two tables, and how dates are written."""

    model_config = _MAPPING_CONFIG
    referrals: ReferralsMapping = ReferralsMapping()
    staff: StaffMapping = StaffMapping()
    date_format: str | None = None
    """A ``strftime`` format such as ``%d/%m/%Y``; default: inferred by pandas."""
    dayfirst: bool = False
    """Read 03/04/2021 as 3 April (only without ``date_format``)."""


def load_mapping(path: str | Path) -> ColumnMapping:
    """Read a mapping file (safe YAML), with one-line errors naming the field."""
    data = load_yaml(path)
    try:
        mapping = ColumnMapping.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise as_scenario_error(exc, str(path), data) from None
    for key in mapping.referrals.columns:
        if key not in REFERRAL_COLUMNS:
            raise ScenarioError(str(path), f"referrals.columns.{key}", _expected(REFERRAL_COLUMNS))
    for key in mapping.staff.columns:
        if key not in STAFF_COLUMNS:
            raise ScenarioError(str(path), f"staff.columns.{key}", _expected(STAFF_COLUMNS))
    for role in mapping.staff.roles:
        if role not in ROLES:
            raise ScenarioError(str(path), f"staff.roles.{role}", _expected(ROLES))
    return mapping


def _expected(names: Any) -> str:
    return "expected one of " + ", ".join(names)


@dataclass(frozen=True)
class OddRows:
    """Rows that are odd but usable: counted, reported and, where said, left out."""

    source: str
    problem: str
    rows: list[int]
    left_out: bool

    def describe(self) -> str:
        shown = ", ".join(str(r) for r in self.rows[:8]) + (", ..." if len(self.rows) > 8 else "")
        action = "left out" if self.left_out else "kept"
        return f"{self.source}: {len(self.rows)} row(s) {self.problem} ({action}): rows {shown}"


@dataclass(frozen=True)
class History:
    """The checked tables and the period they cover.

    Attributes
    ----------
    referrals
        One row per referral: ``row`` (as a spreadsheet shows it), ``id``, ``received``,
        ``case_type``, ``screened_in`` (bool), ``assigned``, ``closed`` (``NaT`` if none),
        ``risk_level``, ``worker``, ``subject`` (``None`` if not given), and ``rereferral``
        (the subject had an earlier referral in the table).
    staff
        One row per spell: ``row``, ``worker``, ``role``, ``start``, ``leave``, ``position``;
        ``None`` without a staff table.
    start, end
        The period: from ``start`` (inclusive) to ``end`` (exclusive), midnight.
    odd
        What was odd, counted by kind.
    """

    referrals: pd.DataFrame
    staff: pd.DataFrame | None
    source: str
    staff_source: str | None
    start: pd.Timestamp
    end: pd.Timestamp
    odd: list[OddRows] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    """The column of the file each of this program's names was read from."""

    @property
    def days(self) -> float:
        """The length of the period in days."""
        return (self.end - self.start) / pd.Timedelta(days=1)

    def day(self, dates: pd.Series) -> pd.Series:
        """Days from the start of the period (NaN for a missing date)."""
        return (dates - self.start) / pd.Timedelta(days=1)

    @property
    def has_subjects(self) -> bool:
        return bool(self.referrals["subject"].notna().any())

    @property
    def has_workers(self) -> bool:
        return bool(self.referrals["worker"].notna().any())


# ---------------------------------------------------------------------- reading


def _read_table(table: str | Path | pd.DataFrame, what: str) -> tuple[pd.DataFrame, str]:
    """The raw table as strings (CSV) or as stored (Parquet, a DataFrame), and its name."""
    if isinstance(table, pd.DataFrame):
        return table.reset_index(drop=True), f"<{what}>"
    path = Path(table)
    source = str(table)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise ScenarioError(source, None, "expected a .csv or .parquet file")
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
        else:
            frame = pd.read_parquet(path)
    except FileNotFoundError:
        raise ScenarioError(source, None, "no such file") from None
    except IsADirectoryError:
        raise ScenarioError(source, None, "expected a file, got a folder") from None
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise ScenarioError(source, None, f"cannot be read as a table: {exc}") from None
    except Exception as exc:  # pyarrow's errors for a file that is not Parquet
        raise ScenarioError(source, None, f"cannot be read as a table: {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, source


def _columns(
    frame: pd.DataFrame,
    source: str,
    names: Mapping[str, str],
    known: Mapping[str, str],
    required: tuple[str, ...],
    what: str,
) -> dict[str, str]:
    """This program's name -> the file's column, for the columns present."""
    option = "--column" if what == "referrals" else "--staff-column"
    found = {}
    for name in known:
        column = names.get(name, name)
        if column in frame.columns:
            found[name] = column
        elif name in required or name in names:
            raise ScenarioError(
                source,
                f"column {column!r}",
                f"missing: expected a column of {known[name]} (map another column to it with "
                f"{option} {name}=NAME or in a mapping file)",
            )
    if frame.empty:
        raise ScenarioError(source, None, f"no rows: expected at least one {what} row")
    return found


def _text(values: pd.Series) -> pd.Series:
    """Values as stripped text, ``None`` where empty."""
    text = values.astype("string").str.strip()
    return text.where(text.notna() & (text != ""), None).astype(object)


def _dates(
    frame: pd.DataFrame,
    column: str,
    source: str,
    rows: pd.Series,
    mapping: ColumnMapping,
    required: bool,
) -> pd.Series:
    """A column parsed as dates; an unparseable (or missing required) one is an error."""
    values = frame[column]
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = pd.to_datetime(values).dt.tz_localize(None) if values.dt.tz else values
        text = values.astype(object).where(values.notna(), None)
    else:
        text = _text(values)
        kwargs: dict[str, Any] = {"errors": "coerce"}
        if mapping.date_format:
            kwargs["format"] = mapping.date_format
        else:
            kwargs["dayfirst"] = mapping.dayfirst
        given = text.notna()
        parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
        if given.any():
            converted = pd.to_datetime(text[given], **kwargs)
            if getattr(converted.dt, "tz", None) is not None:
                converted = converted.dt.tz_localize(None)
            parsed[given] = converted
    bad = text.notna() & parsed.isna()
    if bad.any():
        i = bad.idxmax()
        example = f" in the format {mapping.date_format}" if mapping.date_format else ""
        raise ScenarioError(
            source,
            f"row {rows[i]}, column {column!r}",
            f"expected a date{example} (like 2021-03-15), got {text[i]!r}",
        )
    if required and parsed.isna().any():
        i = parsed.isna().idxmax()
        raise ScenarioError(
            source, f"row {rows[i]}, column {column!r}", "expected a date, got nothing"
        )
    return parsed.astype("datetime64[ns]")


def _slug(name: str) -> str:
    """A case-type value as a scenario name: letters, digits, ``_`` and ``-``."""
    slug = re.sub(r"[^A-Za-z0-9_\-]+", "_", name.strip()).strip("_")
    if not slug or not slug[0].isalpha():
        slug = "type_" + slug
    return slug[:64]


def _before(
    later: pd.Series, earlier: pd.Series, rows: pd.Series, source: str, column: str, what: str
) -> None:
    bad = later.notna() & earlier.notna() & (later < earlier)
    if bad.any():
        i = bad.idxmax()
        raise ScenarioError(
            source,
            f"row {rows[i]}, column {column!r}",
            f"{later[i]:%Y-%m-%d} is before {what} {earlier[i]:%Y-%m-%d}",
        )


def _read_referrals(
    table: str | Path | pd.DataFrame, mapping: ColumnMapping
) -> tuple[pd.DataFrame, str, dict[str, str], list[OddRows]]:
    raw, source = _read_table(table, "referrals")
    names = mapping.referrals.columns
    cols = _columns(raw, source, names, REFERRAL_COLUMNS, REFERRALS_REQUIRED, "referrals")
    rows = pd.Series(range(2, len(raw) + 2), index=raw.index)
    out = pd.DataFrame({"row": rows})
    for name in ("id", "worker", "subject", "risk_level"):
        out[name] = _text(raw[cols[name]]) if name in cols else None
    levels = mapping.referrals.risk_levels
    out["risk_level"] = out["risk_level"].map(lambda v: levels.get(v, v) if v is not None else None)
    case_types = _text(raw[cols["case_type"]])
    if case_types.isna().any():
        i = case_types.isna().idxmax()
        raise ScenarioError(
            source,
            f"row {rows[i]}, column {cols['case_type']!r}",
            "expected a case type, got nothing",
        )
    slugs = {value: _slug(value) for value in case_types.unique()}
    clash = pd.Series(list(slugs.values())).duplicated()
    if clash.any():
        name = pd.Series(list(slugs.values()))[clash].iloc[0]
        values = [v for v, s in slugs.items() if s == name]
        raise ScenarioError(
            source,
            f"column {cols['case_type']!r}",
            f"the case types {values[0]!r} and {values[1]!r} both become the scenario name "
            f"{name!r}: expected case types that differ in letters or digits",
        )
    out["case_type"] = case_types.map(slugs)
    out["screened_in"] = _screening(
        raw[cols["screening"]], rows, source, cols["screening"], mapping
    )
    out["received"] = _dates(raw, cols["received"], source, rows, mapping, required=True)
    for name in ("assigned", "closed"):
        if name in cols:
            out[name] = _dates(raw, cols[name], source, rows, mapping, required=False)
        else:
            out[name] = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    _check_referral_dates(out, source, cols)
    odd: list[OddRows] = []
    if out["id"].notna().any():
        duplicate = out["id"].notna() & out["id"].duplicated()
        if duplicate.any():
            odd.append(
                OddRows(source, "with an id seen in an earlier row", list(rows[duplicate]), True)
            )
            out = out[~duplicate]
    return out.reset_index(drop=True), source, cols, odd


def _screening(
    values: pd.Series, rows: pd.Series, source: str, column: str, mapping: ColumnMapping
) -> pd.Series:
    text = _text(values)
    lower = text.map(lambda v: None if v is None else v.lower())
    yes = {v.strip().lower() for v in mapping.referrals.screened_in}
    no = {v.strip().lower() for v in mapping.referrals.screened_out}
    known = lower.isin(yes | no)
    if not known.all():
        i = (~known).idxmax()
        shown_in = ", ".join(repr(v) for v in mapping.referrals.screened_in[:3])
        shown_out = ", ".join(repr(v) for v in mapping.referrals.screened_out[:3])
        raise ScenarioError(
            source,
            f"row {rows[i]}, column {column!r}",
            f"expected a screening value ({shown_in} ... for screened in, {shown_out} ... for "
            f"screened out, or mapped in a mapping file), got {text[i]!r}",
        )
    return lower.isin(yes).astype(bool)


def _check_referral_dates(out: pd.DataFrame, source: str, cols: Mapping[str, str]) -> None:
    rows = out["row"]
    if "assigned" in cols:
        _before(out["assigned"], out["received"], rows, source, cols["assigned"], "its receipt")
    if "closed" in cols:
        _before(out["closed"], out["received"], rows, source, cols["closed"], "its receipt")
        _before(out["closed"], out["assigned"], rows, source, cols["closed"], "its assignment")
    for name, what in (("assigned", "assigned"), ("closed", "closed")):
        bad = ~out["screened_in"] & out[name].notna()
        if bad.any():
            i = bad.idxmax()
            raise ScenarioError(
                source,
                f"row {rows[i]}, column {cols[name]!r}",
                f"the referral is screened out but {what}: expected an empty {name} date",
            )
    bad = out["closed"].notna() & out["assigned"].isna()
    if bad.any():
        i = bad.idxmax()
        column = cols.get("assigned", "assigned")
        raise ScenarioError(
            source,
            f"row {rows[i]}, column {column!r}",
            "the case is closed but was never assigned: expected its assignment date",
        )


def _read_staff(
    table: str | Path | pd.DataFrame, mapping: ColumnMapping
) -> tuple[pd.DataFrame, str, list[OddRows]]:
    raw, source = _read_table(table, "staff")
    cols = _columns(raw, source, mapping.staff.columns, STAFF_COLUMNS, STAFF_REQUIRED, "staff")
    rows = pd.Series(range(2, len(raw) + 2), index=raw.index)
    out = pd.DataFrame({"row": rows})
    out["worker"] = _text(raw[cols["worker"]])
    if out["worker"].isna().any():
        i = out["worker"].isna().idxmax()
        raise ScenarioError(
            source, f"row {rows[i]}, column {cols['worker']!r}", "expected a worker id, got nothing"
        )
    out["position"] = _text(raw[cols["position"]]) if "position" in cols else None
    if "role" in cols:
        out["role"] = _roles(raw[cols["role"]], rows, source, cols["role"], mapping)
    else:
        out["role"] = "caseworker"
    out["start"] = _dates(raw, cols["start"], source, rows, mapping, required=True)
    if "leave" in cols:
        out["leave"] = _dates(raw, cols["leave"], source, rows, mapping, required=False)
        _before(out["leave"], out["start"], rows, source, cols["leave"], "the start")
    else:
        out["leave"] = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    odd = []
    duplicate = out.duplicated(["worker", "start"])
    if duplicate.any():
        odd.append(
            OddRows(
                source, "repeating a worker and start date seen before", list(rows[duplicate]), True
            )
        )
        out = out[~duplicate]
    return out.reset_index(drop=True), source, odd


def _roles(
    values: pd.Series, rows: pd.Series, source: str, column: str, mapping: ColumnMapping
) -> pd.Series:
    lookup = {role: role for role in ROLES}
    for role, given in mapping.staff.roles.items():
        lookup.update({value.strip().lower(): role for value in given})
    text = _text(values)
    roles = text.map(lambda v: None if v is None else lookup.get(v.lower()))
    if roles.isna().any():
        i = roles.isna().idxmax()
        raise ScenarioError(
            source,
            f"row {rows[i]}, column {column!r}",
            f"expected a role ({', '.join(ROLES)}, or mapped in a mapping file), got {text[i]!r}",
        )
    return roles


# ---------------------------------------------------------------------- the period


def _default_start(table: pd.DataFrame) -> pd.Timestamp:
    """The first day of the first month with at least half the median monthly count of
    screened-out referrals (of all referrals if none is screened out): an export's older
    rows, the cases still open at its start, are all screened in."""
    rows = table[~table["screened_in"]] if (~table["screened_in"]).any() else table
    months = rows["received"].dt.to_period("M").value_counts().sort_index()
    every = pd.period_range(months.index.min(), months.index.max(), freq="M")
    full = months.reindex(every, fill_value=0)
    busy = full[full >= 0.5 * full.median()]
    return busy.index[0].to_timestamp()


def _last_date(*series: pd.Series) -> pd.Timestamp:
    return max(s.max() for s in series if s.notna().any())


def read_history(
    referrals: str | Path | pd.DataFrame,
    staff: str | Path | pd.DataFrame | None = None,
    *,
    mapping: ColumnMapping | None = None,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
) -> History:
    """Read and check the tables, and settle the period they cover.

    Parameters
    ----------
    referrals, staff
        CSV or Parquet files, or DataFrames, with the columns of :data:`REFERRAL_COLUMNS` and
        :data:`STAFF_COLUMNS` (named as ``mapping`` says).
    mapping
        Column names, values and the date format (:func:`load_mapping`).
    start
        The first day of the history (default: the first day of the first month with at least
        half the median monthly count of screened-out referrals). Referrals received before it
        are the cases open at its start.
    end
        The day after the last day of the history (default: the day after the latest date in
        the tables, the day of the export).
    """
    mapping = mapping or ColumnMapping()
    table, source, cols, odd = _read_referrals(referrals, mapping)
    spells, staff_source = None, None
    if staff is not None:
        spells, staff_source, staff_odd = _read_staff(staff, mapping)
        odd.extend(staff_odd)
    start_day = _as_day(start, "--start") if start is not None else _default_start(table)
    if end is not None:
        end_day = _as_day(end, "--end")
    else:
        dates = [table["received"], table["assigned"], table["closed"]]
        if spells is not None:
            dates += [spells["start"], spells["leave"]]
        end_day = _last_date(*dates).normalize() + pd.Timedelta(days=1)
    if end_day <= start_day + pd.Timedelta(days=28):
        raise ScenarioError(
            source,
            None,
            f"the history runs from {start_day:%Y-%m-%d} to {end_day:%Y-%m-%d}: expected at "
            "least a month",
        )
    late = table["received"] >= end_day
    if late.any():
        odd.append(
            OddRows(
                source,
                f"received on or after the end {end_day:%Y-%m-%d}",
                list(table["row"][late]),
                True,
            )
        )
        table = table[~late]
    for name in ("assigned", "closed"):  # what happened after the end is not yet known
        table.loc[table[name] >= end_day, name] = pd.NaT
    missing = table["screened_in"] & table["risk_level"].isna() & (table["received"] >= start_day)
    if "risk_level" in cols and missing.any():
        odd.append(
            OddRows(source, "screened in without a risk level", list(table["row"][missing]), False)
        )
    table = table.sort_values(["received", "row"], kind="stable").reset_index(drop=True)
    if table["subject"].notna().any():
        table["rereferral"] = table["subject"].notna() & table["subject"].duplicated()
    else:
        table["rereferral"] = False
    return History(table, spells, source, staff_source, start_day, end_day, odd, cols)


def _as_day(value: str | pd.Timestamp, option: str) -> pd.Timestamp:
    try:
        day = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ScenarioError(
            option, None, f"expected a date (like 2021-01-01), got {value!r}"
        ) from None
    if pd.isna(day):
        raise ScenarioError(option, None, f"expected a date (like 2021-01-01), got {value!r}")
    return day.normalize()
