"""The domain's shape: its modules import one another without a cycle (at module level: no imports hidden in
functions or behind ``TYPE_CHECKING``), import nothing of the project outside the domain, and stay small; and a
plan's events keep resolving wherever their classes live."""

from __future__ import annotations

import ast
from pathlib import Path

from eventsourcing.utils import get_topic, resolve_topic

from isp_ledger.domain import events
from isp_ledger.domain.plan import Plan

DOMAIN = Path(events.__file__).parent
MAX_LINES = 400


def domain_imports() -> dict[str, set[str]]:
    """Each domain module's imports of other domain modules, wherever in the module they are written."""
    graph: dict[str, set[str]] = {}
    for path in DOMAIN.glob("*.py"):
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "isp_ledger.domain":
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("isp_ledger.domain."):
                found.add(str(node.module).split(".")[2])
        graph[path.stem] = found - {path.stem}
    return graph


def test_the_domain_modules_import_one_another_without_a_cycle() -> None:
    graph = domain_imports()
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, f"import cycle: {' -> '.join((*path[path.index(module):], module))}"
        if module in done:
            return
        for imported in sorted(graph.get(module, ())):
            visit(imported, (*path, module))
        done.add(module)

    for module in sorted(graph):
        visit(module, ())
    # The rules of corrections and of sessions read the plan's state, never the aggregate.
    assert "plan" not in graph["corrections"] | graph["delivery"] | graph["state"] | graph["events"]


def test_the_domain_imports_nothing_of_the_project_outside_it() -> None:
    for path in DOMAIN.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            project = ("isp_ledger", "projections")
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(project):
                assert node.module.startswith("isp_ledger.domain"), f"{path.name} imports {node.module}"
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith(project) for a in node.names), path.name


def test_no_domain_module_is_over_400_lines() -> None:
    lines = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in DOMAIN.glob("*.py")}
    assert not {name: n for name, n in lines.items() if n > MAX_LINES}


def test_every_event_class_is_the_plans_own_and_its_topics_resolve_to_it() -> None:
    for cls in events.EVENT_CLASSES:
        assert getattr(Plan, cls.__name__) is cls
        assert issubclass(cls, Plan.Event)
        assert resolve_topic(get_topic(cls)) is cls
        # as the library would have named it when the events were nested in the aggregate
        assert resolve_topic(f"isp_ledger.domain.plan:Plan.{cls.__name__}") is cls
    assert get_topic(Plan) == "isp_ledger.domain.plan:Plan"  # the topic snapshots and PlanOpened events store
