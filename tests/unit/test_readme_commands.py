"""The README's commands work as written in a clone (issue 11, problem 9): the ``isp-ledger`` command is not on a
clone's PATH, so every command line runs it through ``./dev``, and names a command ``isp-ledger`` has."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer

from isp_ledger.cli import app

README = Path(__file__).parents[2] / "README.md"


def command_lines() -> list[str]:
    """Every command of the README's shell blocks, without its trailing comment."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)
    lines = [line.split("  #", 1)[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def cli_commands() -> set[str]:
    """``isp-ledger``'s commands, and its groups' commands as ``users add``."""
    group: Any = typer.main.get_command(app)
    names = set(group.commands)
    for name, command in group.commands.items():
        names |= {f"{name} {inner}" for inner in getattr(command, "commands", {})}
    return names


def test_every_command_runs_isp_ledger_through_dev_and_names_a_command_it_has() -> None:
    lines = command_lines()
    assert lines, "the README has shell blocks"
    bare = [line for line in lines if line.startswith("isp-ledger ")]
    assert not bare, f"not on a clone's PATH; write ./dev isp-ledger: {bare}"
    commands = cli_commands()
    for line in lines:
        found = re.match(r"\./dev isp-ledger ((?:users )?[\w-]+)", line)
        if found:
            assert found.group(1) in commands, line
    assert any(line.startswith("./dev isp-ledger verify bundle.json --key keys.json") for line in lines)


def test_the_readme_names_the_demos_time_as_measured() -> None:
    text = README.read_text(encoding="utf-8")
    assert "about 15 s on SQLite" not in text  # the demo takes about three times that
    assert re.search(r"\d+ to \d+ s on SQLite: measured at \d+ s and \d+ s", text)
