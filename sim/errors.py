"""The one exception a user should ever see from bad input."""

from __future__ import annotations


class ScenarioError(ValueError):
    """A scenario (or sweep) file cannot be used.

    The message is a single line naming the file, the field path and what was
    expected, e.g. ``scenarios/x.yaml: caps.count: expected an integer >= 1, got 0``.
    The command line prints it and exits with status 2.
    """

    def __init__(self, source: str, field: str | None, problem: str) -> None:
        problem = " ".join(str(problem).split())  # always one line
        source = " ".join(str(source).splitlines())  # a file name or key may hold a line break
        field = " ".join(field.splitlines()) if field else field
        self.source = source
        self.field = field
        self.problem = problem
        where = f"{source}: {field}" if field else source
        super().__init__(f"{where}: {problem}")
