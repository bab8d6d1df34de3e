"""Instructions executed: the M/M/c against idiomatic SimPy, and the scaling pairs.

Run:  python benchmarks/instructions.py [--days 2000] [--scaling]   (needs valgrind)

Wall-clock time on a shared machine varies by tens of percent from run to run;
the number of machine instructions a run executes hardly does (the same code, data,
interpreter and hash seed give the same count to a few parts in a hundred thousand). Each
measurement runs in a child process under valgrind's callgrind with
instrumentation switched on only around the run itself (``callgrind_control -i
on|off``), so imports, scenario loading and model construction are not counted.

Instructions are not time: the same count runs slower when it misses the caches
or mispredicts branches more, and a Python simulation spread over many functions
does both more than SimPy's tight loop (the M/M/c's time ratio is lower than its
instruction ratio). Use this to see whether a change does less work, and whether
work grows linearly; use ``benchmarks/run.py`` for the speed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys

from run import (
    THREE_YEARS,
    at_horizon,
    calibrated_scenario,
    doubled,
    events_of,
    idiomatic_mmc,
    mmc_scenario,
    stationary,
)

import sim
from sim.core.model import CaseloadModel

SERVERS, RHO = 5, 0.8


def _scaling_base() -> sim.Scenario:
    """child_protection without strain or turnover, from an empty office, 3 years."""
    return stationary(at_horizon(calibrated_scenario("child_protection"), THREE_YEARS, 0.0))


SCALING = {
    "base: stationary child_protection, 3 years": _scaling_base,
    "horizon x2": lambda: at_horizon(_scaling_base(), 2 * THREE_YEARS, 0.0),
    "workforce and referrals x2": lambda: doubled(_scaling_base()),
}


def _instrumented(on: bool) -> None:
    """Switch callgrind's instrumentation of this process on or off.

    The switch takes effect while this process waits for ``callgrind_control``, so the wait
    must execute the same instructions however long it takes: a plain wait for the child,
    not a loop reading its output (``capture_output`` polls the pipes as the output arrives,
    and under load the extra rounds were counted: 0.12% more in one of two runs)."""
    command = ["callgrind_control", "-i", "on" if on else "off", str(os.getpid())]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def child(case: str, days: float) -> None:
    """The measured run, inside callgrind."""
    if case == "simpy":
        _instrumented(True)
        idiomatic_mmc(SERVERS, RHO, int(RHO * SERVERS * days))
        _instrumented(False)
        return
    scenario = mmc_scenario(SERVERS, RHO, days) if case == "caseload-sim" else SCALING[case]()
    model = CaseloadModel(scenario, replication=0, timeseries=False)
    _instrumented(True)
    model.run()
    _instrumented(False)
    work = {"events": events_of(model.env), "case_days": model.metrics.open_cases.area}
    print(json.dumps(work))


def counts(cases: list[str], days: float) -> dict[str, tuple[int, dict[str, float]]]:
    """Instructions executed by one run of each case, and the work it did (SimPy events,
    case-days), counted by callgrind in children that run side by side (the counts do
    not depend on what else runs; a fixed hash seed keeps them the same from run to run)."""
    children = {
        case: subprocess.Popen(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                "--callgrind-out-file=/dev/null",
                sys.executable,
                __file__,
                "--child",
                case,
                "--days",
                str(days),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        for case in cases
    }
    found = {}
    for case, process in children.items():
        stdout, stderr = process.communicate()
        match = re.search(r"Collected\s*:\s*(\d+)", stderr)
        if process.returncode or match is None:
            raise RuntimeError(f"callgrind gave no instruction count for {case}:\n{stderr}")
        found[case] = (int(match.group(1)), json.loads(stdout or "{}"))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=2_000.0, help="M/M/c days (2000)")
    parser.add_argument("--scaling", action="store_true", help="also the scaling pairs (slow)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.days)
        return
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        sys.exit("benchmarks/instructions.py needs valgrind (with callgrind_control) on PATH")

    found = counts(["caseload-sim", "simpy"], args.days)
    customers = int(RHO * SERVERS * args.days)
    ours, theirs = found["caseload-sim"][0], found["simpy"][0]
    print(f"M/M/{SERVERS} at rho {RHO}, {args.days:,.0f} days, about {customers:,} customers:")
    print(f"  idiomatic SimPy: {theirs:15,} instructions")
    print(
        f"  caseload-sim:    {ours:15,} instructions; SimPy's count over ours {theirs / ours:.3f}"
    )
    if args.scaling:
        found = counts(list(SCALING), args.days)
        base, work = found.pop(next(iter(SCALING)))
        print(
            f"Scaling: instructions, SimPy events and case-days as multiples of the base run's "
            f"({base:,} instructions)"
        )
        for case, (instructions, done) in found.items():
            print(
                f"  {case:<28}instructions {instructions / base:.3f}x, "
                f"events {done['events'] / work['events']:.3f}x, "
                f"case-days {done['case_days'] / work['case_days']:.3f}x"
            )


if __name__ == "__main__":
    main()
