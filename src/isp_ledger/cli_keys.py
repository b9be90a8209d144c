"""``isp-ledger migrate`` and ``isp-ledger keys``: the operator's commands for the pupils' keys (CONTRACT.md §11).

``migrate`` moves a store written before per-pupil encryption to it (``migrate.py``; the service refuses such a store
until then). ``keys rotate`` wraps every pupil's data key again under a new service key file without touching an
event (``storage/data_keys.py``); ``keys status`` says how many data keys each service key wraps, how many were
destroyed by erasures, and whether the store is migrated. Registered on the ``isp-ledger`` command by ``cli.py``.
"""

from __future__ import annotations

from typing import Annotated

import typer

keys_app = typer.Typer(help="The pupils' data keys and the service keys that wrap them.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
    app.command("migrate")(migrate)


def migrate(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only count what would be re-sealed")] = False,
) -> None:
    """Encrypt a store written before per-pupil encryption: re-seal each plan's events under its own key."""
    from isp_ledger import migrate as migration
    from isp_ledger.cli import err, ledger_or_exit, out

    with ledger_or_exit(migrated_only=False) as ledger:
        report = migration.migrate(ledger.store, dry_run=dry_run)
    for line in report.lines():
        out.print(line, highlight=False)
    if not dry_run:
        err.print("[green]The store is encrypted per pupil.[/green] Back up ISP_LEDGER_KEY_DIR now, apart from the "
                  "database: without it nothing personal in the store can be read.", highlight=False, soft_wrap=True)


@keys_app.command("rotate")
def rotate() -> None:
    """Wrap every pupil's data key again under a new service key file (events untouched)."""
    from isp_ledger.cli import err, ledger_or_exit, out

    with ledger_or_exit() as ledger:
        new_id, count = ledger.store.data_keys.rotate()
        directory = ledger.settings.key_dir
    out.print(f"{count} data keys are now wrapped by wrap-{new_id}.key", highlight=False)
    err.print(f"Back up {directory} now. Older wrap-N.key files are no longer used by this store once every "
              "backup of the database made before now has expired.", highlight=False, soft_wrap=True)


@keys_app.command("status")
def status() -> None:
    """How many data keys each service key wraps, how many were destroyed (erasures), and whether the store is
    migrated."""
    from isp_ledger import migrate as migration
    from isp_ledger.cli import ledger_or_exit, out
    from isp_ledger.storage.sql import Sql

    with ledger_or_exit(migrated_only=False) as ledger:
        rows = Sql(ledger.store.datastore).fetch(
            "SELECT wrap_id, wrapped IS NULL, count(*) FROM {isp_data_keys} GROUP BY wrap_id, wrapped IS NULL "
            "ORDER BY wrap_id")
        files = ledger.store.data_keys.service_key_ids()
        migrated = migration.is_migrated(ledger.store)
    erased = sum(int(n) for _, gone, n in rows if gone)
    for wrap_id, gone, n in rows:
        if not gone:
            present = "" if wrap_id in files else "  (MISSING from the key directory)"
            out.print(f"wrap-{wrap_id}.key: {n} data keys{present}", highlight=False)
    out.print(f"erased (key destroyed): {erased}", highlight=False)
    out.print(f"service key files: {', '.join(f'wrap-{i}.key' for i in files) or 'none yet'}", highlight=False)
    out.print("store: encrypted per pupil" if migrated else f"store: NOT migrated (run '{migration.COMMAND}')",
              highlight=False)
