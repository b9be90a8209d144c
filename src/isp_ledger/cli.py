"""The ``isp-ledger`` command (CONTRACT.md §1)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import typer
from rich.console import Console

from isp_ledger import cli_keys
from isp_ledger.cli_retention import retention_app
from isp_ledger.config import ConfigError, Settings, redact_url
from isp_ledger.domain.errors import LedgerError

if TYPE_CHECKING:  # the application is imported only by the commands that need it: `verify BUNDLE` stays light
    from isp_ledger.application import Clock, Ledger

# A traceback never lists local variables: they may hold a token, a pupil's details or the database password.
app = typer.Typer(help="isp-ledger: a tamper-evident record of Individual Support Plans.", no_args_is_help=True,
                  pretty_exceptions_show_locals=False)
users_app = typer.Typer(help="Manage users and their tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")
cli_keys.register(app)  # isp-ledger migrate, isp-ledger keys rotate|status
app.add_typer(retention_app, name="retention")
err = Console(stderr=True)
out = Console()


# Exit codes: 1 a check failed (verify), 2 bad input or configuration, 3 the store cannot be reached.
STORE_UNREACHABLE = 3


def open_ledger_or_exit(clock: Clock | None = None, *, migrated_only: bool = True) -> Ledger:
    """The ledger the settings describe; or one clear line saying why not, and an exit (never a traceback)."""
    from eventsourcing.persistence import PersistenceError

    from isp_ledger.bootstrap import build_ledger
    from isp_ledger.storage.factory import StoreUnreachable, probe
    from isp_ledger.storage.keys import exposure

    try:
        settings = Settings.from_env()
        probe(settings.database)  # at once, with the server's reason, rather than after the pool's timeout
        ledger = build_ledger(clock=clock, migrated_only=migrated_only)
    except ConfigError as e:
        err.print(f"[red]Configuration error:[/red] {e}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except (StoreUnreachable, PersistenceError) as e:
        err.print(f"[red]{redact_url(str(e))}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(STORE_UNREACHABLE) from None
    for warning in exposure(settings.key_dir):
        err.print(f"[yellow]Warning:[/yellow] {warning}", highlight=False, soft_wrap=True)
    return ledger


@contextmanager
def ledger_or_exit(clock: Clock | None = None, *, migrated_only: bool = True) -> Iterator[Ledger]:
    from eventsourcing.persistence import InterfaceError, OperationalError

    ledger = open_ledger_or_exit(clock, migrated_only=migrated_only)
    try:
        yield ledger
    except (OperationalError, InterfaceError) as e:  # the store went away while the command ran
        err.print(f"[red]The store stopped answering:[/red] {redact_url(str(e).splitlines()[0] if str(e) else '')}",
                  highlight=False, soft_wrap=True)
        raise typer.Exit(STORE_UNREACHABLE) from None
    finally:
        ledger.close()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
) -> None:
    """Run the HTTP service."""
    import uvicorn

    from isp_ledger.api.app import create_app

    ledger = open_ledger_or_exit()
    api = create_app(ledger, close_ledger=True)
    err.print(f"isp-ledger on http://{host}:{port}  (store: {ledger.settings.database.description}; docs at /docs)",
              highlight=False, soft_wrap=True)
    if not ledger.accounts.users():
        err.print("No users yet: create one with  isp-ledger users add --name 'Ada Admin' --role admin")
    uvicorn.run(api, host=host, port=port, log_level="info", server_header=False)


@app.command()
def project() -> None:
    """Run the read models as their own process (for PostgreSQL deployments), until stopped."""
    import signal
    import threading

    from projections.runner import Projector

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with ledger_or_exit() as ledger:
        projector = Projector(ledger.store)
        err.print(f"Projecting {', '.join(projector.models)} from position {projector.position()}")
        projector.run(stop)
    err.print("Projector stopped.")


@app.command()
def rebuild(
    name: Annotated[str | None, typer.Argument(help="one read model (default: all)")] = None,
) -> None:
    """Rebuild read models from the event log beside the live ones, then switch to them."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from projections import READ_MODELS
    from projections.rebuild import rebuild as rebuild_read_models

    if name is not None and name not in READ_MODELS:
        err.print(f"[red]No read model called {name!r}[/red] (there are: {', '.join(READ_MODELS)})")
        raise typer.Exit(2)
    names = [name] if name else list(READ_MODELS)
    with ledger_or_exit() as ledger, Progress(
        TextColumn("[bold]Rebuilding {task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=err,
    ) as progress:
        task = progress.add_task(", ".join(names), total=ledger.store.max_position())

        def advance(position: int, head: int) -> None:
            progress.update(task, completed=position, total=head)

        generations = rebuild_read_models(ledger.store, names, advance)
    for model, generation in generations.items():
        out.print(f"{model}: rebuilt as generation {generation}, now current")


@app.command()
def demo(
    plans: Annotated[int, typer.Option(min=1, max=1000, help="how many children's plans")] = 60,
    seed: Annotated[int, typer.Option(help="the same seed builds the same school")] = 2025,
    force: Annotated[bool, typer.Option("--force", help="add the school to a store that already holds plans")] = False,
) -> None:
    """Fill the store with a realistic synthetic school: a school year of plans, sessions, reviews and corrections."""
    from isp_ledger.demo import DemoClock
    from isp_ledger.demo.command import run_demo

    with ledger_or_exit(DemoClock()) as ledger:
        code = run_demo(ledger, plans=plans, seed=seed, force=force, out=out, err=err)
    if code:
        raise typer.Exit(code)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Option(help="the person's name, as it will appear in history")],
    role: Annotated[str, typer.Option(help="admin, senco, teacher, parent, professional or complaint_handler")],
    setting: Annotated[str | None, typer.Option(help="6-digit URN of the setting (senco and teacher)")] = None,
    email: Annotated[str | None, typer.Option(help="the address they sign in to the web pages with")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Create a user and print their bearer token (shown once; only a digest is stored)."""
    with ledger_or_exit() as ledger:
        try:
            user, token = ledger.accounts.add_user(name=name, role=role, setting_urn=setting, email=email)
        except LedgerError as e:
            err.print(f"[red]Not created:[/red] {e.detail}", highlight=False)
            raise typer.Exit(2) from None
    if as_json:
        print(json.dumps({"user_id": user.user_id, "role": user.role, "token": token,
                          "name": user.name, "setting_urn": user.setting_urn, "email": email}))
    else:
        out.print(f"Created {user.role} {user.name} ({user.user_id}).", highlight=False)
        out.print(f"Token (shown only now): [bold]{token}[/bold]")


@users_app.command("list")
def users_list(
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object per line")] = False,
) -> None:
    """List users, oldest first (never their tokens)."""
    with ledger_or_exit() as ledger:
        accounts = ledger.accounts.accounts()
    for account in accounts:
        status = "active" if account.active else "disabled"
        if as_json:
            print(json.dumps({"user_id": account.user_id, "name": account.name, "role": account.role,
                              "setting_urn": account.setting_urn, "email": account.email, "status": status,
                              "created_at": account.created_at, "created_by": account.created_by,
                              "disabled_at": account.disabled_at, "disabled_by": account.disabled_by}))
        else:
            out.print(f"{account.user_id}  {account.role:<17} {account.setting_urn or '':<6}  {status:<8}  "
                      f"{account.name}" + (f" <{account.email}>" if account.email else ""), highlight=False)


@users_app.command("disable")
def users_disable(
    user_id: Annotated[str, typer.Argument(help="the user's id, as `users list` shows it")],
) -> None:
    """Disable a user: their token is refused from the very next request (by every process of the service). What
    they recorded keeps their name. The last active administrator cannot be disabled."""
    with ledger_or_exit() as ledger:
        try:
            account = ledger.accounts.disable(None, user_id)
        except LedgerError as e:
            err.print(f"[red]Not disabled:[/red] {e.detail}", highlight=False)
            raise typer.Exit(2) from None
    out.print(f"Disabled {account.role} {account.name} ({account.user_id}) at {account.disabled_at}.",
              highlight=False)


@users_app.command("token")
def users_token(
    user_id: Annotated[str, typer.Argument(help="the user's id, as `users list` shows it")],
) -> None:
    """Give a user a new bearer token (printed once, alone on standard output): their old token stops working at
    once. A disabled user gets none."""
    with ledger_or_exit() as ledger:
        try:
            token = ledger.accounts.new_token(user_id)
        except LedgerError as e:
            err.print(f"[red]No new token:[/red] {e.detail}", highlight=False)
            raise typer.Exit(2) from None
    err.print(f"A new token for {user_id}, on standard output (shown only now); the old one no longer works.",
              highlight=False)
    print(token)


@app.command()
def verify(
    target: Annotated[str, typer.Argument(help="a plan id, or the path of a JSON evidence bundle")],
    key: Annotated[str | None, typer.Option(
        "--key", help="bundles only: the service's public key as GET /v1/keys publishes it (a file, or the key)",
    )] = None,
) -> None:
    """Check integrity: exit 0 when the record holds, 1 when it was altered. A bundle is checked offline."""
    if Path(target).is_file():
        verify_bundle_file(Path(target), key)
        return
    if key is not None:
        err.print("[red]--key is for checking an evidence bundle file[/red]")
        raise typer.Exit(2)
    try:
        plan_id = UUID(target)
    except ValueError:
        err.print(f"[red]{target} is neither a plan id nor an evidence bundle file[/red]")
        raise typer.Exit(2) from None
    with ledger_or_exit() as ledger:
        try:
            result = ledger.integrity.verify(None, plan_id)
        except LedgerError as e:
            err.print(f"[red]{e.detail}[/red]")
            raise typer.Exit(2) from None
    print(json.dumps(result.as_dict(), indent=2))
    if not result.ok:
        err.print(f"[red]Integrity check FAILED at version {result.first_bad_version}:[/red] {result.detail}")
        raise typer.Exit(1)
    err.print(f"[green]OK[/green]: {result.events_checked} events chain to {result.head_hash}"
              + (f"; the transparency log records version {result.log_version} at position {result.log_position}"
                 if result.log_position is not None else ""))


@app.command("verify-log")
def verify_log(
    held: Annotated[str | None, typer.Argument(help="a signed log head (from GET /v1/log/head) to hold it to")] = None,
) -> None:
    """Check the whole transparency log of plan heads, and every plan's head against it: exit 0 when it holds,
    1 when not."""
    statement = None
    if held is not None:
        try:
            with open(held, encoding="utf-8") as f:
                statement = json.load(f)
        except (OSError, ValueError) as e:
            err.print(f"[red]Cannot read {held}:[/red] {e}")
            raise typer.Exit(2) from None
        if not isinstance(statement, dict):
            err.print(f"[red]{held} is not a signed log head[/red]")
            raise typer.Exit(2)
    with ledger_or_exit() as ledger:
        result = ledger.integrity.check_log(None, statement)
    print(json.dumps(result.as_dict(), indent=2))
    if not result.ok:
        err.print(f"[red]Transparency log check FAILED:[/red] {result.detail}")
        raise typer.Exit(1)
    err.print(f"[green]OK[/green]: {result.entries_checked} log entries chain to {result.head_entry_hash}; "
              f"{result.plans_checked} plans agree with it")


def verify_bundle_file(path: Path, key: str | None) -> None:
    """Check an evidence bundle with only the bundle and the public key: no store, no service."""
    from isp_ledger.bundle.verify import NotABundle, describe, load_bundle, parse_keys, verify_bundle

    try:
        bundle = load_bundle(path.read_bytes())
        trusted = None
        if key is not None:
            trusted = parse_keys(Path(key).read_text() if Path(key).is_file() else key)
    except NotABundle as e:
        err.print(f"[red]{path} cannot be checked:[/red] {e}")
        raise typer.Exit(2) from None
    except (OSError, ValueError) as e:
        err.print(f"[red]The key cannot be read:[/red] {e}")
        raise typer.Exit(2) from None
    check = verify_bundle(bundle, trusted)
    if not check.ok:
        err.print(f"[red]The evidence bundle {path} does NOT verify[/red] ({len(check.problems)} problem"
                  f"{'s' if len(check.problems) != 1 else ''}):", highlight=False)
        for problem in check.problems:
            err.print(f"  - {problem}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    for line in describe(bundle, check, key_given=key is not None):
        out.print(line, highlight=False, soft_wrap=True)


def main() -> None:
    try:
        app()
    except ConfigError as e:  # pragma: no cover - raised before a command could catch it
        err.print(f"[red]Configuration error:[/red] {e}", highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
