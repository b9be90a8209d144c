"""``isp-ledger retention run [--dry-run]`` (CONTRACT.md §1, §11): erase every closed plan past its retention period.

A plan's retention period ends on the pupil's date of birth plus ``ISP_LEDGER_RETENTION_YEARS`` (31 by default),
read from the plan itself (the date of birth is personal, so only the decrypted plan knows it). Only closed plans are
ever due; one under a legal hold is listed as skipped and left alone. Each erasure goes through the ledger's own
command, as the operator of the service (an administrator's erasure, named as the retention run in the history),
with the reason "Retention period ended (date of birth + N years)". The table names each plan due by its
``plan_id``: its setting, the day it was closed, the day its retention ended, and what was done.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from isp_ledger.access import User
from isp_ledger.domain import privacy
from isp_ledger.domain.errors import LedgerError
from isp_ledger.domain.stamp import london_date

err = Console(stderr=True)
out = Console(width=120) if not Console().is_terminal else Console()  # a table whole when piped
retention_app = typer.Typer(help="Erase closed plans past their retention period.", no_args_is_help=True)

# The operator at the command line, as the history names who erased a plan at the end of its retention period.
OPERATOR = User(user_id="operator:retention", name="Retention run (isp-ledger)", role="admin")


@retention_app.command("run")
def run(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list what would be erased, and erase nothing")] = False,
) -> None:
    """Erase every closed plan whose retention period has passed (date of birth + ISP_LEDGER_RETENTION_YEARS
    years), except those under a legal hold; print what was done (or, with --dry-run, what would be)."""
    from isp_ledger.cli import ledger_or_exit  # noqa: PLC0415  # cli imports this module: opened when run

    with ledger_or_exit() as ledger:
        years = ledger.settings.retention_years
        today = london_date(ledger.clock.now())
        reason = f"Retention period ended (date of birth + {years} years)"
        table = Table(title=f"Retention run on {today}: closed plans past date of birth + {years} years"
                      + (" (dry run)" if dry_run else ""))
        for column in ("plan_id", "setting", "closed on", "due on", "done"):
            table.add_column(column, no_wrap=True)  # a plan_id whole on its line, to copy
        counts = {"erased": 0, "would erase": 0, "skipped: legal hold": 0, "failed": 0}
        for plan_id in ledger.store.plan_ids():
            try:
                plan = ledger.plans.current(plan_id)
            except LedgerError as e:
                err.print(f"[yellow]Plan {plan_id} cannot be read, so was left alone:[/yellow] {e.detail}",
                          highlight=False, soft_wrap=True)
                continue
            if not privacy.is_due_for_erasure(plan, years, today):
                continue
            due = privacy.retention_ends(plan, years)
            if privacy.legal_hold(plan) is not None:
                done = "skipped: legal hold"
            elif dry_run:
                done = "would erase"
            else:
                try:
                    ledger.privacy.erase(OPERATOR, plan_id, reason=reason)
                    done = "erased"
                except LedgerError as e:
                    done = "failed"
                    err.print(f"[red]Plan {plan_id} was not erased:[/red] {e.detail}", highlight=False,
                              soft_wrap=True)
            counts[done] += 1
            table.add_row(str(plan_id), plan.setting_urn, str(plan.state["closed_on"]), str(due), done)
    out.print(table)
    out.print(", ".join(f"{n} {what}" for what, n in counts.items() if n) or "No plan is past its retention period.",
              highlight=False)
