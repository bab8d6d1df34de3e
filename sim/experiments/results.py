"""The results folder of a sweep: a manifest and Parquet shards, written atomically.

Layout::

    DIR/manifest.json        the sweep file, the base scenario and its hash, the package
                             version and the model's code hash, the seed, the
                             replications and the design
    DIR/shards/part-*.parquet  result rows, one per (point, replication)
    DIR/.lock                held (POSIX ``flock``) by the sweep writing into the folder,
                             which records in it who it is: pid, command line, host, since

Rows are buffered and written as a shard every ``shard_rows`` rows or
``shard_seconds`` seconds, whichever comes first: to a temporary file, then
renamed into place, so a killed sweep leaves only whole shards and loses at most
the rows of its last buffer. Resuming reads which (point, replication) pairs the
shards hold and runs only the others: no row is lost or written twice.

Faults: a shard that cannot be written (a full disk, a folder gone or no longer
a folder) raises :class:`ResultsWriteError` naming the file, after removing its
temporary file; the shards already written stay as they are. Temporary files
left by a crash are removed when the sweep resumes. A shard that cannot be read
(truncated or corrupt: a disk error, a copy cut short) stops ``--resume`` and
:func:`load_results` with a one-line error naming it; nothing is set aside or
deleted without the user: moving the file out of ``shards/`` and resuming runs
its rows again. A second sweep into a folder that a running sweep holds is refused
with one line naming that sweep's process and command line; the lock goes with the
process that held it, however it ended. Should processes it started outlive it and
hold the lock (a fork that inherited it), the next sweep finds the recorded owner gone,
says so, and takes the folder over. ``retry_failed`` rewrites each shard holding failed
rows without them (atomically, in place), so that their runs run again and the folder
keeps one row per (point, replication).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shlex
import socket
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import pyarrow

from ..core.summary import FIGURES
from ..errors import ScenarioError
from .design import SweepPlan
from .intervals import confidence_interval, natural_range

__all__ = [
    "LockOwner",
    "ResultStore",
    "ResultsWriteError",
    "load_manifest",
    "load_results",
    "lock_folder",
    "model_code",
    "package_version",
    "short_hash",
    "summarise_results",
]

ROW_COLUMNS = ("point", "replication", "seed", "status", "error", *FIGURES)
FORMAT = 1
TEMPORARY = ".tmp-"
"""The prefix of a file being written; never read as results, removed on resume."""
LEFTOVERS = (f"{TEMPORARY}*-manifest.json", f"shards/{TEMPORARY}*-part-*.parquet")
"""What a crash mid-write leaves in a results folder (see :func:`_write_atomic`)."""
LOCK = ".lock"
"""The file a running sweep holds locked in its results folder (never results)."""


class ResultsWriteError(OSError):
    """A file of the results folder could not be written (``filename``, ``strerror``).

    The shards written before are kept; the run that raised it stops.
    """


def short_hash(digest: object) -> str:
    """A SHA-256 as people are shown it: its first 12 digits, which tell digests apart."""
    return f"{str(digest)[:12]}..."


def scenario_hash(data: dict[str, Any]) -> str:
    """A stable hash of a scenario's data (canonical JSON)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _manifest(plan: SweepPlan) -> dict[str, Any]:
    base = plan.base.model_dump(mode="json")
    sweep = plan.sweep
    return {
        "format": FORMAT,
        "name": sweep.name,
        "sweep_file": plan.source,
        "sweep": plan.text,
        "base_scenario": base,
        "scenario_hash": scenario_hash(base),
        "package_version": package_version(),
        "model_code": model_code(),
        "seed": sweep.seed,
        "replications": sweep.replications,
        "common_random_numbers": True,
        "factors": list(plan.design.columns),
        "design": json.loads(plan.design.reset_index().to_json(orient="records")),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def package_version() -> str:
    """caseload-sim's version, as results folders and the optimiser's journal record it."""
    from .. import __version__  # read late: this module is imported by the package itself

    return __version__


MODEL_SOURCES = (
    "core",
    "scenario",
    "experiments/runner.py",
    "experiments/design.py",
    "optimisation/menu.py",
)
"""The sources, under ``sim/``, that decide a sweep's row from a scenario, a point and a
seed, or an optimiser's run from a scenario, a mix of levers and a seed."""


@functools.cache
def model_code() -> str:
    """The SHA-256 of the model's source code (:data:`MODEL_SOURCES`, each file's path and
    bytes, in order of path): what made a folder's rows, as the package version is not
    bumped for every change of the model."""
    root = Path(__file__).resolve().parent.parent
    files = sorted(
        path
        for source in MODEL_SOURCES
        for path in ((root / source).rglob("*.py") if (root / source).is_dir() else [root / source])
    )
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _sweep_difference(old: dict[str, Any], new: dict[str, Any]) -> str | None:
    """How the sweep of manifest ``old`` differs from ``new``, in words (``None``: the same
    sweep): the first of seed, replications, factors, design, base scenario and model code
    that differs, the scenario's by its first differing field."""
    for key in ("seed", "replications", "factors"):
        if old.get(key) != new.get(key):
            return f"its {key} {old.get(key)!r} (this sweep's: {new.get(key)!r})"
    if old.get("design") != new.get("design"):
        return "its design's points"
    if old.get("scenario_hash") != new.get("scenario_hash"):
        found = _first_difference(old.get("base_scenario"), new.get("base_scenario"), "")
        where, there, here = found or ("?", "?", "?")
        hint = (
            " (made by an earlier version of caseload-sim, whose scenarios lacked it?)"
            if there == "absent"
            else ""
        )
        return f"its base scenario's {where}: {there} there, {here} here{hint}"
    if old.get("model_code") != new.get("model_code"):
        there = old.get("model_code")
        if there is None:
            return "its rows made by a model whose code it does not record (an earlier version)"
        return (
            f"its rows made by other model code (SHA-256 {short_hash(there)} there, "
            f"{short_hash(new.get('model_code'))} here: the model changed since the sweep began)"
        )
    return None


def _first_difference(old: Any, new: Any, path: str) -> tuple[str, str, str] | None:
    """The first dotted path at which ``old`` and ``new`` differ, and each side's value."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            inner = f"{path}.{key}" if path else str(key)
            if key not in old or key not in new:
                there = repr(old[key]) if key in old else "absent"
                return inner, there, repr(new[key]) if key in new else "absent"
            found = _first_difference(old[key], new[key], inner)
            if found:
                return found
        return None
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            found = _first_difference(a, b, f"{path}.{index}")
            if found:
                return found
        return None
    return None if old == new else (path, repr(old), repr(new))


def _write_atomic(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write through a temporary file in the same folder, then rename it into place.

    Raises
    ------
    ResultsWriteError
        If the file cannot be written whole (no room, a file too large, the folder
        gone or not a folder). No temporary file is left behind if it can be removed,
        and ``path`` is either whole or absent.
    """
    temporary = path.with_name(f"{TEMPORARY}{uuid.uuid4().hex}-{path.name}")
    try:
        with open(temporary, "xb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise ResultsWriteError(exc.errno, reason, str(path)) from exc
    finally:
        with contextlib.suppress(OSError):  # the folder may be gone: nothing to remove then
            temporary.unlink(missing_ok=True)
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Make a rename durable (POSIX); best effort, as some file systems refuse it."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _leftovers(folder: Path) -> list[Path]:
    """The temporary files a crash mid-write left in a results folder."""
    return [path for pattern in LEFTOVERS for path in folder.glob(pattern)]


@dataclass(frozen=True)
class LockOwner:
    """The process holding a results folder's lock, as it recorded itself in ``DIR/.lock``."""

    pid: int
    host: str
    command: str
    """Its command line, as ``ps`` shows it."""
    since: str
    """When it took the lock (local time, ISO 8601)."""
    started: int | None = None
    """When the process started, in clock ticks since boot (Linux): tells the owner from a
    later process given the same pid."""

    @classmethod
    def this_process(cls) -> LockOwner:
        return cls(
            pid=os.getpid(),
            host=socket.gethostname(),
            command=shlex.join(getattr(sys, "orig_argv", sys.argv)),
            since=datetime.now().isoformat(timespec="seconds"),
            started=_process_started(os.getpid()),
        )

    @classmethod
    def read(cls, handle: BinaryIO) -> LockOwner | None:
        """The owner recorded in an open lock file (``None``: none, or not readable)."""
        try:
            handle.seek(0)
            return cls(**json.loads(handle.read().decode("utf-8")))
        except (OSError, ValueError, TypeError):
            return None

    def write(self, handle: BinaryIO) -> None:
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(asdict(self)).encode("utf-8"))
        handle.flush()

    def describe(self) -> str:
        command = " ".join(self.command.split())  # one line, whatever the arguments hold
        command = command if len(command) <= 500 else command[:497] + "..."
        where = "" if self.host == socket.gethostname() else f" on {self.host}"
        return f"process {self.pid}{where} ({command}), since {self.since}"

    def exists(self) -> bool | None:
        """Whether the owner is still running (``None``: on another machine, cannot tell)."""
        if self.host != socket.gethostname():
            return None
        try:
            started = _process_started(self.pid)
        except ProcessLookupError:
            return False
        if started is None:  # no /proc: a process of that pid will do
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                return True
            return True
        return self.started is None or started == self.started


def _process_started(pid: int) -> int | None:
    """When process ``pid`` started, in clock ticks since boot, from ``/proc`` (``None``
    where there is no ``/proc``).

    Raises
    ------
    ProcessLookupError
        If there is no such process, or it has ended and waits to be reaped (a zombie).
    """
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        if Path("/proc/self/stat").exists():
            raise ProcessLookupError(pid) from None
        return None
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()  # after the command name, which may hold spaces
    if fields[0] == "Z":
        raise ProcessLookupError(pid)
    return int(fields[19])  # field 22 of proc_pid_stat(5): starttime


@contextlib.contextmanager
def _folder_guard(folder: Path) -> Iterator[None]:
    """Hold the folder itself locked while its lock is taken (milliseconds), so that two
    sweeps starting at once cannot both take over a lock left behind; nothing where a
    folder cannot be locked."""
    import fcntl

    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ScenarioError(
                        str(folder),
                        None,
                        "cannot lock the results folder: another process keeps the folder "
                        "itself locked",
                    ) from None
                time.sleep(0.01)
            except OSError:  # a file system without locks
                break
        yield
    finally:
        os.close(descriptor)


def lock_folder(folder: Path) -> tuple[BinaryIO | None, str | None]:
    """Lock ``folder`` for one sweep (or one optimisation's journal): the open lock file,
    held until it is closed or the process ends, with this process recorded in it; and, if
    the lock was taken over from a sweep that no longer exists, a line saying so. ``None``
    where locks are not to be had (Windows, some network file systems): the folder is then
    not guarded against a second sweep.

    Raises
    ------
    ScenarioError
        If another sweep holds the folder (naming its process and command line).
    """
    try:
        import fcntl
    except ImportError:  # not POSIX
        return None, None
    taken_over = None
    with _folder_guard(folder):
        handle = _open_lock(folder)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = LockOwner.read(handle)
            handle.close()
            if owner is None or owner.exists() is not False:
                raise ScenarioError(str(folder), None, _refusal(owner)) from None
            # Its owner is gone, yet the lock is held: by processes it started that inherited
            # it. They write nothing here; a new lock file leaves them the old one.
            _remove([folder / LOCK])
            handle = _open_lock(folder)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                raise ScenarioError(str(folder), None, _refusal(None)) from None
            taken_over = (
                f"{owner.describe()}, which locked this folder, no longer exists, but processes "
                "it left behind still hold its lock: taking the folder over"
            )
        except OSError:  # a file system without locks
            handle.close()
            return None, None
        LockOwner.this_process().write(handle)
    return handle, taken_over


def _open_lock(folder: Path) -> BinaryIO:
    try:
        return open(folder / LOCK, "a+b")  # held for the sweep's lifetime
    except OSError as exc:
        raise ScenarioError(
            str(folder), None, f"cannot lock the results folder: {exc.strerror or exc}"
        ) from None


def _refusal(owner: LockOwner | None) -> str:
    if owner is None:
        return (
            f"another process holds this folder's lock ({LOCK}, recording no owner): wait for "
            "it to end, or use a new folder"
        )
    return (
        "another sweep or optimisation is writing into this folder: "
        f"{owner.describe()}: wait for it to end, or use a new folder"
    )


def _remove(paths: Iterable[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


def _read_shard(shard: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """One shard's rows; a one-line error naming it if it is not a whole shard."""
    try:
        table = pd.read_parquet(shard, columns=columns)
        missing = {"point", "replication"} - set(table.columns)
        if missing:
            raise ValueError(f"no {sorted(missing)} column")
        return table
    except (OSError, ValueError, KeyError, pyarrow.ArrowException) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ScenarioError(
            str(shard),
            None,
            f"expected a shard of result rows, got a file that cannot be read ({reason}); "
            f"a write was cut short or the disk failed: move it out of {shard.parent} and run "
            "the sweep again with --resume to run its rows again",
        ) from None


class ResultStore:
    """Where a sweep's rows go, in a folder that can be resumed.

    Parameters
    ----------
    folder
        The output folder. A new sweep needs it absent or empty; ``resume`` needs
        it to hold the same sweep (same base scenario, seed, replications, design).
    plan
        The loaded sweep.
    resume
        Continue a sweep in ``folder`` instead of starting one.
    retry_failed
        With ``resume``: remove the failed rows from the folder (see :meth:`_drop_failed`),
        so that their runs are missing and run again; ``retried`` counts them.
    shard_rows, shard_seconds
        Write a shard when this many rows wait, or this long after the last one.

    ``written`` counts the rows this store wrote; ``taken_over`` says, when the folder's
    lock was left behind by a sweep that no longer exists, who that was.
    """

    def __init__(
        self,
        folder: str | Path,
        plan: SweepPlan,
        *,
        resume: bool = False,
        retry_failed: bool = False,
        shard_rows: int = 100,
        shard_seconds: float = 30.0,
    ) -> None:
        self.folder = Path(folder)
        self.shards = self.folder / "shards"
        self.shard_rows = max(1, shard_rows)
        self.shard_seconds = shard_seconds
        self.written = 0
        self.retried = 0
        self._buffer: list[dict[str, Any]] = []
        self._last_flush = time.monotonic()
        created = self._make_folder()
        self._lock, self.taken_over = lock_folder(self.folder)
        try:
            self._begin(plan, resume)
            if retry_failed:
                self.retried = self._drop_failed()
        except BaseException:
            self.close()
            if created:  # write nothing: not even an empty folder
                _remove([self.folder / LOCK])
                with contextlib.suppress(OSError):
                    self.folder.rmdir()
            raise

    def _make_folder(self) -> bool:
        """Make the folder if needed (returning whether it was made), refusing a file or a
        folder that holds something other than a sweep's results."""
        where = str(self.folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise ScenarioError(where, None, "expected a folder for the results, got a file")
        created = not self.folder.exists()
        if not created and not (self.folder / "manifest.json").exists():
            ours = {*_leftovers(self.folder), self.folder / LOCK}  # a crash before the manifest
            if any(entry not in ours for entry in self.folder.iterdir()):
                raise ScenarioError(where, None, "expected a new or empty folder for the results")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a parent that is a file, a read-only file system
            raise ScenarioError(
                where, None, f"cannot make the results folder: {exc.strerror or exc}"
            ) from None
        return created

    def _begin(self, plan: SweepPlan, resume: bool) -> None:
        """Check the manifest of a folder being resumed, or write a new sweep's (under the
        lock, so what is read here is not another sweep's work in progress)."""
        manifest = _manifest(plan)
        path = self.folder / "manifest.json"
        where = str(self.folder)
        if path.exists():
            if not resume:
                raise ScenarioError(
                    where,
                    None,
                    "already holds a sweep's results: add --resume, or use a new folder",
                )
            difference = _sweep_difference(load_manifest(self.folder), manifest)
            if difference is not None:
                raise ScenarioError(
                    where,
                    None,
                    f"holds the results of a different sweep, {difference}: its rows are not "
                    "this sweep's; use a new folder",
                )
        else:
            text = json.dumps(manifest, indent=2).encode("utf-8")
            _write_atomic(path, lambda handle: handle.write(text))
        try:
            self.shards.mkdir(exist_ok=True)
        except OSError as exc:
            raise ResultsWriteError(exc.errno, exc.strerror, str(self.shards)) from exc
        _remove(_leftovers(self.folder))  # a results folder serves one sweep at a time

    def _drop_failed(self) -> int:
        """Remove the failed rows from the shards, returning how many there were.

        Each shard holding some is rewritten without them through a temporary file renamed
        over it (or removed if it held nothing else): a crash leaves it whole, before or
        after. Their runs are then missing from the folder, and run again.
        """
        dropped = 0
        for shard in self._shard_files():
            status = _read_shard(shard, ["point", "replication", "status"]).status
            failed = int((status != "ok").sum())
            if not failed:
                continue
            table = _read_shard(shard)
            kept = table[(table.status == "ok").to_numpy()]
            if kept.empty:
                try:
                    shard.unlink()
                except OSError as exc:
                    raise ResultsWriteError(exc.errno, exc.strerror, str(shard)) from exc
                _sync_folder(self.shards)
            else:
                _write_atomic(shard, lambda handle, kept=kept: kept.to_parquet(handle, index=False))
            dropped += failed
        return dropped

    def close(self) -> None:
        """Let go of the folder's lock (rows still buffered are not written: see ``flush``)."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def done(self) -> set[tuple[int, int]]:
        """The (point, replication) pairs already written."""
        pairs: set[tuple[int, int]] = set()
        for shard in self._shard_files():
            table = _read_shard(shard, ["point", "replication"])
            pairs.update(zip(table.point.tolist(), table.replication.tolist(), strict=True))
        return pairs

    def add(self, row: dict[str, Any]) -> None:
        self._buffer.append(row)
        due = time.monotonic() - self._last_flush >= self.shard_seconds
        if len(self._buffer) >= self.shard_rows or due:
            self.flush()

    def flush(self) -> None:
        """Write the buffered rows as one shard."""
        if not self._buffer:
            return
        table = _as_table(self._buffer)
        name = f"part-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.parquet"
        _write_atomic(self.shards / name, lambda handle: table.to_parquet(handle, index=False))
        self.written += len(self._buffer)
        self._buffer = []
        self._last_flush = time.monotonic()

    def _shard_files(self) -> list[Path]:
        return sorted(self.shards.glob("part-*.parquet"))

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        try:
            if kind is None:
                self.flush()
                return
            # Stopped by an error (or Ctrl-C): keep the rows that ran if the folder takes
            # them; if it does not, the first error is the one to report.
            with contextlib.suppress(OSError):
                self.flush()
        finally:
            self.close()


def _as_table(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    table = pd.DataFrame(list(rows), columns=list(ROW_COLUMNS))
    for column in ("point", "replication", "seed"):
        table[column] = table[column].astype("int64")
    for column in FIGURES:
        table[column] = table[column].astype("float64")
    table["status"] = table["status"].astype(str)
    table["error"] = table["error"].astype(str)
    return table


def load_manifest(folder: str | Path) -> dict[str, Any]:
    """The manifest of a results folder; a one-line error if it is missing or unreadable."""
    path = Path(folder) / "manifest.json"
    if not path.is_file():
        raise ScenarioError(str(folder), None, "expected a sweep results folder (no manifest.json)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # ValueError: not UTF-8 or not JSON
        reason = " ".join(str(exc).split())
        raise ScenarioError(
            str(path),
            None,
            f"expected the JSON manifest of a sweep, got a file that cannot be read ({reason})",
        ) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("design"), list):
        raise ScenarioError(
            str(path), None, "expected the JSON manifest of a sweep, with its design"
        )
    return manifest


def load_results(folder: str | Path) -> pd.DataFrame:
    """Every row of a results folder, with the factor values of its point, in point order.

    Columns: ``point``, the factors (by dotted path), ``replication``, ``seed``,
    ``status`` (``ok`` or ``failed``), ``error``, then every summary figure.
    Replication ``r`` of every point used the same random streams.
    """
    manifest = load_manifest(folder)
    shards = sorted((Path(folder) / "shards").glob("part-*.parquet"))
    rows = (
        pd.concat([_read_shard(s) for s in shards], ignore_index=True) if shards else _as_table([])
    )
    design = pd.DataFrame(manifest["design"])
    if design.empty:
        design = pd.DataFrame({"point": pd.Series(dtype="int64")})
    table = design.merge(rows, on="point", how="right")
    return table.sort_values(["point", "replication"], ignore_index=True)


def summarise_results(
    table: pd.DataFrame,
    outcomes: Iterable[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Mean and confidence interval of each outcome at each point (successful runs only).

    Returns one row per (point, outcome) with the factor values, ``mean``,
    ``ci_low``, ``ci_high``, ``n`` and ``failed`` (runs of the point that raised).
    """
    outcomes = list(outcomes or FIGURES)
    factors = [c for c in table.columns if c not in ROW_COLUMNS]
    rows = []
    for point, runs in table.groupby("point", sort=True):
        ok = runs[runs.status == "ok"]
        keys = {"point": point, **{f: runs[f].iloc[0] for f in factors}}
        for outcome in outcomes:
            mean, low, high = confidence_interval(
                ok[outcome].tolist(), level, natural_range(outcome)
            )
            rows.append(
                {
                    **keys,
                    "outcome": outcome,
                    "mean": mean,
                    "ci_low": low,
                    "ci_high": high,
                    "n": int(ok[outcome].notna().sum()),
                    "failed": int((runs.status != "ok").sum()),
                }
            )
    return pd.DataFrame(rows)
