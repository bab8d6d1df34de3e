"""The figures a replication reports: each with its label, unit and report section.

:class:`ReplicationSummary` lists every figure of one replication over the statistics
window (after the warm-up); :data:`FIGURES` is their labels, units and sections in report
order, read by every table and plot. Each figure's exact definition is in
docs/outputs.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

__all__ = ["CASE_TYPE_FIGURES", "FIGURES", "ReplicationSummary"]


def _figure(label: str, unit: str = "", section: str = "") -> Any:
    return field(metadata={"label": label, "unit": unit, "section": section})


@dataclass(frozen=True)
class ReplicationSummary:
    """The figures of one replication, over the statistics window (after warm-up)."""

    window_days: float = _figure("Statistics window", "days", "Run")
    referrals: int = _figure("Referrals (first reports)", "count", "Intake")
    rereferrals: int = _figure("Re-referrals (reported again)", "count", "Intake")
    screened_in: int = _figure("Screened in (cases opened)", "count", "Intake")
    screened_out: int = _figure("Screened out", "count", "Intake")
    screened_out_share: float = _figure("Share screened out", "share", "Intake")
    sent_out: int = _figure("Sent to external providers", "count", "Intake")
    shared_out: int = _figure("Cases sent to another office (no room here)", "count", "Intake")
    shared_in: int = _figure("Cases taken from another office", "count", "Intake")
    threshold_mean: float = _figure("Screening threshold in force, mean", "score", "Intake")
    scandals: int = _figure("Harms that became public (scandals)", "count", "Intake")
    assigned: int = _figure("Cases assigned to a worker", "count", "Waiting")
    wait_mean_days: float = _figure("Time to assignment, mean", "days", "Waiting")
    wait_p90_days: float = _figure("Time to assignment, 90th percentile", "days", "Waiting")
    waiting_mean: float = _figure("Cases waiting, time average", "cases", "Waiting")
    waiting_at_end: int = _figure("Cases waiting at the end", "cases", "Waiting")
    first_contact_mean_days: float = _figure("Time to first contact, mean", "days", "Contacts")
    first_contact_within_deadline_share: float = _figure(
        "First contact within its deadline", "share", "Contacts"
    )
    contacts_done: int = _figure("Contacts made (all)", "count", "Contacts")
    contacts_due: int = _figure("Recurring contacts due", "count", "Contacts")
    contacts_on_time: int = _figure("Recurring contacts on time", "count", "Contacts")
    contacts_late: int = _figure("Recurring contacts late", "count", "Contacts")
    contacts_missed: int = _figure("Recurring contacts missed (period passed)", "count", "Contacts")
    contacts_overdue_at_end: int = _figure(
        "Recurring contacts overdue at the end", "count", "Contacts"
    )
    contacts_on_time_share: float = _figure("Recurring contacts on time", "share", "Contacts")
    cases_closed: int = _figure("Cases closed", "count", "Cases")
    case_duration_mean_days: float = _figure(
        "Case duration (assignment to closure), mean", "days", "Cases"
    )
    cases_closed_late_share: float = _figure(
        "Cases closed after their planned date", "share", "Cases"
    )
    cases_closed_work_undone_share: float = _figure(
        "Cases closed on schedule with case work undone", "share", "Cases"
    )
    casework_undone_hours: float = _figure(
        "Case work never done (closed on schedule)", "hours", "Cases"
    )
    open_cases_mean: float = _figure("Open cases held by workers, time average", "cases", "Cases")
    caseload_mean: float = _figure("Caseload per worker, mean", "cases", "Caseload")
    caseload_p90: float = _figure("Caseload per worker, 90th percentile", "cases", "Caseload")
    caseload_max: float = _figure("Caseload per worker, maximum", "cases", "Caseload")
    worker_days_over_cap_share: float = _figure("Worker-days over a cap", "share", "Caseload")
    cap_breaches: int = _figure("Assignments over the cap", "count", "Caseload")
    cases_rebalanced: int = _figure("Cases moved by rebalancing audits", "count", "Caseload")
    headcount_mean: float = _figure("Caseworkers in post, mean", "workers", "Workforce")
    vacancy_rate: float = _figure("Caseworker positions vacant", "share", "Workforce")
    quits: int = _figure("Caseworkers who left", "count", "Workforce")
    turnover_rate: float = _figure(
        "Annual turnover (leavers per worker-year)", "per year", "Workforce"
    )
    hires: int = _figure("Caseworkers hired", "count", "Workforce")
    vacancy_days_mean: float = _figure("Vacancy duration, mean", "days", "Workforce")
    tenure_mean_days: float = _figure("Tenure of caseworkers in post, mean", "days", "Workforce")
    strain_mean: float = _figure("Strain, mean (1 = burnout threshold)", "strain", "Workforce")
    burned_out_share: float = _figure("Worker-days burned out", "share", "Workforce")
    absence_days: int = _figure("Absence days", "days", "Workforce")
    absence_share: float = _figure("Working days lost to absence", "share", "Workforce")
    overtime_hours: float = _figure("Overtime worked", "hours", "Workforce")
    agency_share: float = _figure("Agency workers among caseworkers in post", "share", "Workforce")
    vacancies_covered_share: float = _figure("Vacancies covered by agency", "share", "Workforce")
    transfers: int = _figure("Cases transferred from a leaver", "count", "Workforce")
    returned_to_waiting: int = _figure("Cases of a leaver sent back to wait", "count", "Workforce")
    hours_available: float = _figure("Working hours available", "hours", "Hours")
    hours_demanded: float = _figure("Work falling due (offered load)", "hours", "Hours")
    hours_worked: float = _figure("Hours worked (including work ahead)", "hours", "Hours")
    utilisation: float = _figure(
        "Hours worked / hours at work (available + overtime)", "share", "Hours"
    )
    demand_ratio: float = _figure("Work falling due / hours available", "ratio", "Hours")
    backlog_hours_mean: float = _figure("Overdue work per worker-day", "hours", "Hours")
    non_case_hours: float = _figure("Hours on administration (non-case time)", "hours", "Hours")
    signals: int = _figure("Risk signals resolved (caught + missed)", "count", "Risk")
    caught: int = _figure("Signals caught (harm prevented)", "count", "Risk")
    missed: int = _figure("Missed risk (harms)", "count", "Risk")
    missed_screened_out: int = _figure("  missed: screened out", "count", "Risk")
    missed_waitlist: int = _figure("  missed: on the waiting list", "count", "Risk")
    missed_no_contact: int = _figure("  missed: no contact in the window", "count", "Risk")
    missed_not_detected: int = _figure("  missed: contacted, not detected", "count", "Risk")
    missed_sent_out: int = _figure("  missed: with an external provider", "count", "Risk")
    missed_after_closure: int = _figure("  missed: after the case closed", "count", "Risk")
    missed_per_1000_referrals: float = _figure(
        "Missed risk per 1,000 referrals", "per 1,000", "Risk"
    )
    caught_share: float = _figure("Caught / (caught + missed)", "share", "Risk")
    prevented: int = _figure("Signals prevented by service", "count", "Risk")
    signals_in_service: int = _figure(
        "Candidate signals while the subject received service", "count", "Risk"
    )
    prevented_share: float = _figure("Prevented / (prevented + caught + missed)", "share", "Risk")
    service_dose_mean: float = _figure("Service dose at closure, mean", "share", "Service")
    follow_on_cases: int = _figure("Follow-on cases opened (pathways)", "count", "Service")
    reassessments: int = _figure("Reassessments of open cases", "count", "Service")
    tier_changes: int = _figure("Reassessments that changed the tier", "count", "Service")
    tiers_lowered: int = _figure("Reassessments that lowered the tier", "count", "Service")
    rereferred_6m_after_screen_out: float = _figure(
        "Re-referred within 6 months of a screen-out", "share", "Recurrence"
    )
    rereferred_12m_after_screen_out: float = _figure(
        "Re-referred within 12 months of a screen-out", "share", "Recurrence"
    )
    rereferred_6m_after_closure_without_services: float = _figure(
        "Re-referred within 6 months of a closure without services", "share", "Recurrence"
    )
    rereferred_12m_after_closure_without_services: float = _figure(
        "Re-referred within 12 months of a closure without services", "share", "Recurrence"
    )
    rereferred_6m_after_services: float = _figure(
        "Re-referred within 6 months of a closure after services", "share", "Recurrence"
    )
    rereferred_12m_after_services: float = _figure(
        "Re-referred within 12 months of a closure after services", "share", "Recurrence"
    )
    harms_per_subject: float = _figure(
        "Harms per subject over the risk window", "per subject", "Recurrence"
    )
    salary_cost: float = _figure("Salaries (staff in post)", "money", "Costs")
    overtime_cost: float = _figure("Overtime", "money", "Costs")
    hiring_cost: float = _figure("Hiring and training", "money", "Costs")
    agency_cost: float = _figure("Agency workers", "money", "Costs")
    external_cost: float = _figure("External providers", "money", "Costs")
    technology_cost: float = _figure("Technology and administrative support", "money", "Costs")
    wellbeing_cost: float = _figure("Wellbeing and supervision support", "money", "Costs")
    retention_pay_cost: float = _figure("Retention pay", "money", "Costs")
    hiring_pipeline_cost: float = _figure("Faster hiring pipeline", "money", "Costs")
    rebalancing_cost: float = _figure("Rebalancing audits", "money", "Costs")
    sharing_cost: float = _figure("Cases shared with other offices", "money", "Costs")
    total_cost: float = _figure("Total cost", "money", "Costs")
    cost_per_referral: float = _figure("Cost per referral", "money", "Costs")
    cost_per_harm_prevented: float = _figure(
        "Cost per harm prevented (signal caught)", "money", "Costs"
    )

    def as_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


FIGURES: dict[str, dict[str, str]] = {f.name: dict(f.metadata) for f in fields(ReplicationSummary)}
"""Label, unit and section of every summary figure, in report order."""


CASE_TYPE_FIGURES: dict[str, dict[str, str]] = {
    name: FIGURES[name]
    for name in (
        "referrals",
        "screened_out",
        "follow_on_cases",
        "cases_closed",
        "prevented",
        "caught",
        "missed",
        "service_dose_mean",
        "rereferred_6m_after_screen_out",
        "rereferred_12m_after_screen_out",
        "rereferred_6m_after_closure_without_services",
        "rereferred_12m_after_closure_without_services",
        "rereferred_6m_after_services",
        "rereferred_12m_after_services",
        "harms_per_subject",
    )
}
"""The figures reported by case type
(:meth:`sim.core.outcome_metrics.OutcomeMetrics.by_case_type`): counts of the case type's own
referrals, cases and signals (a signal belongs to the case type of the referral that caught,
prevented or missed it), recurrence after exits from it, and harms per subject first referred
as it."""
