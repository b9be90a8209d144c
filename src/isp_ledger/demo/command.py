"""``isp-ledger demo`` at the terminal: refuse a store that already holds plans, build the school with a progress
bar, bring the read models up to date (when this process is the one that runs them), print the summary."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from isp_ledger.application import Ledger
from isp_ledger.demo import build_demo, describe, store_has_plans
from isp_ledger.demo.report import DemoReport
from projections import delivery
from projections.runner import Projector


def run_demo(ledger: Ledger, *, plans: int, seed: int, force: bool, out: Console, err: Console) -> int:
    """The command's exit code: 0 when built, 2 when refused."""
    if store_has_plans(ledger) and not force:
        err.print(f"[red]The store already holds plans[/red] ({ledger.settings.database.description}). The demo "
                  "fills an empty store with a made-up school; point ISP_LEDGER_DATABASE_URL at a new store, or "
                  "pass --force to add the demo school beside what is there.")
        return 2
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=False) as progress:
        year = progress.add_task("Living through the school year (days)", total=None)
        report = build_demo(ledger, plans=plans, seed=seed,
                            progress=lambda done, total: progress.update(year, completed=done, total=total))
        delivery = None
        if ledger.settings.projections == "in-process":
            models = progress.add_task("Building the read models (events)", total=None)
            delivery = _read_models(ledger, report, lambda done, head: progress.update(
                models, completed=done, total=head))
    for line in describe(report, delivery):
        out.print(line, highlight=False, soft_wrap=True)
    if delivery is None:
        out.print("The read models are left to the projector (ISP_LEDGER_PROJECTIONS=external): run "
                  "[bold]isp-ledger project[/bold].", highlight=False, soft_wrap=True)
    return 0


def _read_models(ledger: Ledger, report: DemoReport, progress: Callable[[int, int], None]) -> dict[str, Any]:
    """Catch the read models up with the demo, so the first requests answer at once; the setting's planned
    against delivered provision over the whole history."""
    projector = Projector(ledger.store)
    projector.catch_up(progress)
    view = projector.models[delivery.Delivery.name].view
    totals: dict[str, Any] = delivery.setting_report(view, report.setting_urn, report.first_day, report.today,
                                                      ledger.calendars.school_calendar, today=report.today,
                                                      late_entry_days=ledger.calendars.late_entry_days)["totals"]
    return totals
