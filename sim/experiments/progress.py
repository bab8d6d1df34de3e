"""Progress bars for work that takes a while: replications, sweeps, standards, reports.

A bar shows by default where someone is watching (a Jupyter kernel, or a terminal on
standard error) and stays silent otherwise (a pipe, a file, a test, a cron job), so that
logs hold only what was asked for. ``progress=True`` or ``False`` overrides the guess, and
``TQDM_DISABLE=1`` in the environment silences every bar. In a notebook, ``tqdm.auto``
draws a widget when ipywidgets is installed and a text bar otherwise. With nothing to do
(a resumed sweep that is complete) no bar is drawn: an empty bar says nothing.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

__all__ = ["Progress", "in_notebook", "wanted"]

T = TypeVar("T")


def in_notebook() -> bool:
    """Whether this process is a Jupyter kernel (a notebook, papermill, VS Code)."""
    return "ipykernel.zmqshell" in sys.modules


def wanted(progress: bool | None) -> bool:
    """Whether to show a bar: ``progress`` if given, else in a notebook or a terminal."""
    if os.environ.get("TQDM_DISABLE", "").strip().lower() in ("1", "true", "yes"):
        return False
    if progress is not None:
        return progress
    if in_notebook():
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced, or closed
        return False


class Progress:
    """A bar of ``total`` steps, drawn only if :func:`wanted`; a no-op otherwise.

    ``advance()`` after each step (or iterate ``over(items)``, which advances once the
    body of the loop is done with an item), and ``close()`` (or ``with``) to end the bar's
    line before anything else is printed.
    """

    def __init__(self, total: int, *, desc: str, unit: str, enabled: bool | None = None) -> None:
        self._bar: Any = None
        if total > 0 and wanted(enabled):
            with warnings.catch_warnings():  # tqdm.auto warns once if ipywidgets is missing
                warnings.simplefilter("ignore")
                from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=unit, dynamic_ncols=True)

    @property
    def shown(self) -> bool:
        return self._bar is not None

    def advance(self, steps: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(steps)

    def over(self, items: Iterable[T]) -> Iterator[T]:
        for item in items:
            yield item
            self.advance()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
