"""The one exception a user should ever see from bad input."""

from __future__ import annotations

from collections.abc import Sequence


class ScenarioError(ValueError):
    """A scenario (or sweep) file cannot be used.

    The message is a single line naming the file, the field path and what was
    expected, e.g. ``scenarios/x.yaml: caps.count: expected an integer >= 1, got 0``.
    The command line prints it and exits with status 2.

    ``problems`` holds every problem found in the file as ``(field, problem)`` pairs when
    there were several (the message names the first and counts the others); it is empty
    when the message is the only one. :meth:`lines` gives them all, one line each.
    """

    def __init__(
        self,
        source: str,
        field: str | None,
        problem: str,
        *,
        problems: Sequence[tuple[str | None, str]] = (),
    ) -> None:
        problem = " ".join(str(problem).split())  # always one line
        source = " ".join(str(source).splitlines())  # a file name or key may hold a line break
        field = " ".join(field.splitlines()) if field else field
        self.source = source
        self.field = field
        self.problem = problem
        self.problems = tuple(problems)
        where = f"{source}: {field}" if field else source
        super().__init__(f"{where}: {problem}")

    def lines(self) -> list[str]:
        """Every problem as its own one-line message (just the message if there is one)."""
        if len(self.problems) < 2:
            return [str(self)]
        return [str(ScenarioError(self.source, field, problem)) for field, problem in self.problems]
