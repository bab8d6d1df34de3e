"""The optimiser's journal: every run it has made, on disk, so that a stopped optimisation resumes.

An optimisation is a long chain of runs whose next step depends on the last: the design's
points, the surrogate's candidates, then KN's batches. Each run is deterministic (its mix, its
replication, the seed), and so is every choice made from the runs' values. So a journal of
the values is all a stopped optimisation needs: run again with ``resume=True``, it makes the
same choices, reads every run it has already made from the journal and runs only the rest.

Layout::

    DIR/journal.jsonl   first line the header (scenario hash, seed, target, package
                        version, model code hash); then one line per run:
                        {"mix", "replication", "value"}
    DIR/.lock           held by the optimisation writing into the folder
                        (:func:`sim.experiments.results.lock_folder`)

A line is appended, flushed and synced to disk as each run ends, so a killed process loses
at most the run it was writing; a last line cut short is ignored (that run runs again).
A journal made for another scenario, seed, target, package version or model code
(:func:`sim.experiments.results.model_code`) is refused, never mixed in. The mixes are
keyed by what they change, so one journal serves any budget and levers on the same
scenario: runs shared between them are not run twice.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from ..errors import ScenarioError
from ..experiments.results import (
    ResultsWriteError,
    lock_folder,
    model_code,
    package_version,
    scenario_hash,
    short_hash,
)

__all__ = ["JOURNAL", "RunJournal"]

JOURNAL = "journal.jsonl"
FORMAT = 1


class RunJournal:
    """The runs of an optimisation, read from and appended to ``folder``/journal.jsonl.

    Parameters
    ----------
    folder
        Made if missing; locked for as long as the journal is open.
    scenario, seed, target
        What every value depends on: the scenario's data (before any lever), the seed of
        every run and the figure the optimiser reads.
    resume
        Read the runs of a journal already there (which must have been made for the same
        scenario, seed, target, package version and model code); without it, a folder that
        holds a journal is refused.

    Raises
    ------
    ScenarioError
        One line naming the folder or journal: it holds a journal and ``resume`` is not
        set, the journal was made for something else, or it cannot be made or read.
    """

    def __init__(
        self, folder: str | Path, scenario: dict[str, Any], seed: int, target: str, resume: bool
    ) -> None:
        self.folder = Path(folder)
        self.path = self.folder / JOURNAL
        self.header = {
            "format": FORMAT,
            "scenario_hash": scenario_hash(scenario),
            "seed": seed,
            "target": target,
            "package_version": package_version(),
            "model_code": model_code(),
        }
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            problem = f"cannot make the folder: {exc.strerror or exc}"
            raise ScenarioError(str(folder), None, problem) from None
        self._descriptor: int | None = None
        self._lock, self.taken_over = lock_folder(self.folder)
        self.known: dict[tuple[str, int], float] = {}
        """``(mix, replication) -> value`` of every run the journal held when opened."""
        try:
            self._read(resume)
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
            self._descriptor = os.open(self.path, flags, 0o644)
            if os.fstat(self._descriptor).st_size == 0:
                self._append(self.header)
        except OSError as exc:
            self.close()
            raise ResultsWriteError(exc.errno, exc.strerror, str(self.path)) from None
        except BaseException:
            self.close()
            raise

    def _read(self, resume: bool) -> None:
        try:
            lines = self.path.read_bytes().splitlines(keepends=True)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise ScenarioError(str(self.path), None, f"cannot read it: {exc.strerror}") from None
        if not lines:
            return
        if not resume:
            raise ScenarioError(
                str(self.folder),
                None,
                f"holds an optimisation's runs already ({JOURNAL}): add --resume to go on "
                "with it, or use a new folder",
            )
        header = _parse(lines[0])
        if header is None and len(lines) == 1 and not lines[0].endswith(b"\n"):
            self._drop_cut_line(len(lines[0]))  # killed as it began: nothing was run
            return
        if header is None or header.get("format") != FORMAT:
            raise ScenarioError(str(self.path), None, "its first line is not a journal's header")
        for key, what in (
            ("scenario_hash", "scenario"),
            ("seed", "seed"),
            ("target", "target"),
            ("package_version", "package version"),
            ("model_code", "model code"),
        ):
            if header.get(key) != self.header[key]:
                scenario = key == "scenario_hash"
                there, here = header.get(key), self.header[key]
                if key == "model_code":  # (a SHA-256: its first digits tell them apart)
                    recorded = there is not None
                    there = short_hash(there) if recorded else "none: an earlier version"
                    here = short_hash(here)
                shown = (
                    " (its settings differ)"
                    if scenario
                    else f" ({there!r}, this optimisation's is {here!r})"
                )
                raise ScenarioError(
                    str(self.path),
                    None if scenario else key,
                    f"made for another {what}{shown}: its runs are not this optimisation's; "
                    "use a new folder",
                )
        for number, line in enumerate(lines[1:], start=2):
            run = _parse(line)
            if run is None and number == len(lines) and not line.endswith(b"\n"):
                self._drop_cut_line(len(line))  # written when the process was killed
                break
            if run is None or not {"mix", "replication", "value"} <= run.keys():
                raise ScenarioError(
                    str(self.path), None, f"line {number} is not a run: the journal is damaged"
                )
            self.known[run["mix"], int(run["replication"])] = float(run["value"])

    def _drop_cut_line(self, length: int) -> None:
        try:
            with open(self.path, "r+b") as handle:
                handle.truncate(self.path.stat().st_size - length)
        except OSError as exc:
            raise ResultsWriteError(exc.errno, exc.strerror, str(self.path)) from None

    def record(self, mix: str, replication: int, value: float) -> None:
        """Append one run, on disk before this returns.

        Raises
        ------
        ResultsWriteError
            If it cannot be written (a full disk, the folder gone); the runs before it are
            kept.
        """
        self._append({"mix": mix, "replication": replication, "value": value})

    def _append(self, entry: dict[str, Any]) -> None:
        assert self._descriptor is not None, "the journal is closed"
        line = (json.dumps(entry, sort_keys=True) + "\n").encode()
        try:
            while line:  # unbuffered: nothing is left in memory to be written at close
                line = line[os.write(self._descriptor, line) :]
            os.fsync(self._descriptor)
        except OSError as exc:
            raise ResultsWriteError(exc.errno, exc.strerror, str(self.path)) from None

    def close(self) -> None:
        """Close the journal and let go of the folder's lock."""
        if self._descriptor is not None:
            with contextlib.suppress(OSError):
                os.close(self._descriptor)
            self._descriptor = None
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> RunJournal:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
