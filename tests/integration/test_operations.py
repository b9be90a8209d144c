"""Running the service as an operator does: settings checked at start-up, `isp-ledger rebuild` from the command
line on both stores, and a docker-compose file that describes the deployment the README promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from uuid import UUID

import orjson
import pytest
import yaml

from isp_ledger.application import Ledger
from isp_ledger.config import ConfigError, Settings
from isp_ledger.storage.sql import Sql
from projections import READ_MODELS, current_plan
from projections.base import View
from projections.registry import Registry
from projections.runner import Projector
from tests.cli import isp_ledger
from tests.conftest import People
from tests.samples import plan_body

ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------------------------------------ settings


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"ISP_LEDGER_DATABASE_URL": "mysql://localhost/isp"}, "ISP_LEDGER_DATABASE_URL"),
        ({"ISP_LEDGER_DATABASE_URL": "postgresql://user@host:notaport/db"}, "ISP_LEDGER_DATABASE_URL"),
        ({"ISP_LEDGER_SNAPSHOT_INTERVAL": "0"}, "ISP_LEDGER_SNAPSHOT_INTERVAL"),
        ({"ISP_LEDGER_POOL_SIZE": "many"}, "ISP_LEDGER_POOL_SIZE"),
        ({"ISP_LEDGER_PROJECTIONS": "sometimes"}, "ISP_LEDGER_PROJECTIONS"),
        ({"ISP_LEDGER_DATABSE_URL": "sqlite:///x.db"}, "ISP_LEDGER_DATABSE_URL"),  # a typo is not ignored
    ],
)
def test_a_bad_setting_stops_start_up_naming_the_variable(variables: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings.from_env(variables)


def test_the_command_line_refuses_a_bad_setting_with_a_clear_message(tmp_path: Path) -> None:
    result = isp_ledger({"ISP_LEDGER_DATABASE_URL": "mysql://localhost/isp"}, "users", "list")
    assert result.returncode == 2
    assert "ISP_LEDGER_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_default_store_is_a_sqlite_file_created_on_first_use(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from isp_ledger.cli import main; main()", "users", "add", "--name", "Ada Admin",
         "--role", "admin", "--json"],
        cwd=tmp_path, env={k: v for k, v in os.environ.items() if not k.startswith("ISP_LEDGER_")},
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "isp-ledger.db").is_file()
    assert orjson.loads(result.stdout)["role"] == "admin"


# ------------------------------------------------------------------------------------------------ rebuild


def _current_rows(ledger: Ledger) -> tuple[dict[str, int], dict[str, current_plan.StoredDocument | None]]:
    sql = Sql(ledger.store.factory.datastore)
    registry = Registry(sql)
    generations = {name: registry.current(name) for name in READ_MODELS}
    view = View(sql, "current_plan", generations["current_plan"], READ_MODELS["current_plan"].tables,
                sealer=ledger.store.sealer)
    rows = {str(plan_id): current_plan.read(view, UUID(plan_id))
            for (plan_id,) in view.sql.fetch(view.q("SELECT plan_id FROM {plans}"))}
    return generations, rows


def test_rebuild_from_the_command_line_switches_to_a_new_generation_with_the_same_content(
    ledger: Ledger, people: People, env: dict[str, str]
) -> None:
    plans = [UUID(ledger.commands.open_plan(people.admin, **plan_body()).body["plan_id"]) for _ in range(3)]
    for plan_id in plans:
        ledger.commands.record_contribution(people.admin, plan_id, {"kind": "parent_view", "text": "Happier at school"})
    Projector(ledger.store).catch_up()
    before_generations, before_rows = _current_rows(ledger)
    assert len(before_rows) == 3

    result = isp_ledger(env, "rebuild")
    assert result.returncode == 0, result.stderr
    for name in READ_MODELS:
        assert f"{name}: rebuilt as generation" in result.stdout

    after_generations, after_rows = _current_rows(ledger)
    assert all(after_generations[name] > before_generations[name] for name in READ_MODELS)
    assert after_rows == before_rows
    stored = current_plan.read(
        View(Sql(ledger.store.factory.datastore), "current_plan", after_generations["current_plan"],
             READ_MODELS["current_plan"].tables, sealer=ledger.store.sealer),
        plans[0],
    )
    assert stored is not None and orjson.loads(stored.json) == ledger.history.plan_document(people.admin, plans[0])


def test_rebuild_of_one_read_model_leaves_the_others_alone(ledger: Ledger, people: People, env: dict[str, str]) -> None:
    ledger.commands.open_plan(people.admin, **plan_body())
    Projector(ledger.store).catch_up()
    before, _ = _current_rows(ledger)
    result = isp_ledger(env, "rebuild", "timeline")
    assert result.returncode == 0, result.stderr
    after, _ = _current_rows(ledger)
    assert after["timeline"] > before["timeline"]
    assert {k: v for k, v in after.items() if k != "timeline"} == {k: v for k, v in before.items() if k != "timeline"}


def test_rebuild_of_an_unknown_read_model_is_refused(env: dict[str, str]) -> None:
    result = isp_ledger(env, "rebuild", "timelines")
    assert result.returncode == 2
    assert "No read model called 'timelines'" in result.stderr
    assert "timeline" in result.stderr


# ------------------------------------------------------------------------------------------------ deployment


def test_docker_compose_runs_postgresql_the_api_and_the_projector_on_one_database() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "api", "projector"}
    assert services["db"]["image"].startswith("postgres:")
    assert services["api"]["command"][:2] == ["isp-ledger", "serve"]
    assert services["projector"]["command"] == ["isp-ledger", "project"]
    api_env, projector_env = services["api"]["environment"], services["projector"]["environment"]
    assert api_env["ISP_LEDGER_DATABASE_URL"] == projector_env["ISP_LEDGER_DATABASE_URL"]
    assert api_env["ISP_LEDGER_DATABASE_URL"].startswith("postgresql://")
    # The API leaves the read models to the projector, and both settings pass start-up validation.
    assert api_env["ISP_LEDGER_PROJECTIONS"] == "external"
    for environment in (api_env, projector_env):
        Settings.from_env({k: str(v) for k, v in environment.items()})
    for service in ("api", "projector"):
        assert services[service]["depends_on"]["db"]["condition"] == "service_healthy"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "COPY projections" in dockerfile and "COPY src" in dockerfile
