"""Make the example export in this folder: one replication of agency.yaml as the tables an
agency's case-management system would give (`python examples/history/make_history.py`).

The history runs from 2021-01-01 for three years; the export looks back a year before it (so
that re-referrals of people first referred then are recognised). Columns, dates and values
are written the agency's way (mapping.yaml reads them), and two referrals are exported twice,
as real exports do, which `caseload fit` counts and reports.
"""

from pathlib import Path

import numpy as np
import pandas as pd

import sim
from sim.fitting import history_tables

HERE = Path(__file__).resolve().parent
START = pd.Timestamp("2021-01-01")


def main() -> None:
    scenario = sim.load_scenario(HERE / "agency.yaml")
    output = sim.run_replication(scenario, 0, records=True)
    tiers = [t.name for t in scenario.risk.tiers]
    referrals, staff = history_tables(
        output.records,
        tiers,
        START,
        day0=scenario.warmup_days,
        staff=output.staff,
        levels_when_screened_out=False,
        keep_earlier=True,
    )
    referrals = referrals[referrals["received"] >= START - pd.Timedelta(days=365)]

    def day(dates: pd.Series) -> pd.Series:
        return dates.dt.strftime("%d/%m/%Y").fillna("")

    names = {"investigation": "Investigation", "family_support": "Family support"}
    export = pd.DataFrame(
        {
            "ReferralID": "R" + referrals["id"].str.zfill(5),
            "DateReceived": day(referrals["received"]),
            "Type": referrals["case_type"].map(names),
            "Decision": np.where(referrals["screening"] == "in", "Screened in", "Screened out"),
            "DateAllocated": day(referrals["assigned"]),
            "DateClosed": day(referrals["closed"]),
            "RiskLevel": referrals["risk_level"].str.capitalize().fillna(""),
            "Worker": referrals["worker"].map(lambda w: "" if pd.isna(w) else f"W{int(w):03d}"),
            "PersonID": "P" + referrals["subject"].str.zfill(5),
        }
    )
    order = np.argsort(
        np.r_[referrals["received"].to_numpy(), referrals["received"].iloc[[100, 700]]],
        kind="stable",
    )
    export = pd.concat([export, export.iloc[[100, 700]]]).iloc[order]
    export.to_csv(HERE / "referrals.csv", index=False)
    roles = {"caseworker": "Social worker", "agency": "Agency social worker"}
    team = pd.DataFrame(
        {
            "StaffID": staff["worker"].map(lambda w: f"W{int(w):03d}"),
            "Role": staff["role"].map(roles),
            "StartDate": day(staff["start"]),
            "EndDate": day(staff["leave"]),
            "Post": "P" + staff["position"],
        }
    )
    managers = pd.DataFrame(
        {
            "StaffID": ["M001", "M002"],
            "Role": "Team manager",
            "StartDate": "01/03/2015",
            "EndDate": "",
            "Post": ["M1", "M2"],
        }
    )
    pd.concat([team, managers]).to_csv(HERE / "staff.csv", index=False)


if __name__ == "__main__":
    main()
