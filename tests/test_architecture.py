"""The one-way import rules of docs/architecture.md, checked on every import of our code (a lazy import
inside a function counts too), and no import circle between modules at load time."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ("core", "helpdesk", "accounts", "audit", "tickets", "sla", "escalation", "postmortem", "kb", "storms", "dashboard",
        "demo", "api", "webhooks", "privacy", "dispatch")

# Which of our packages each may import (itself aside). The demo data and the project package (urls) see
# everything; the dashboard only reads; `tickets` is the core every feature app builds on.
ALLOWED = {
    "core": set(),
    "accounts": {"core"},
    # The audit log sits just above accounts, so that every app above may record into it; it watches the
    # others by their signals and a registry of model labels (audit.registry), never by importing them.
    "audit": {"core", "accounts"},
    "tickets": {"core", "accounts", "audit"},
    "sla": {"core", "accounts", "audit", "tickets"},
    "escalation": {"core", "accounts", "audit", "tickets", "sla"},
    "postmortem": {"core", "accounts", "audit", "tickets"},
    "kb": {"core", "accounts", "audit", "tickets"},
    # Storm detection sits above the incidents it declares (and the knowledge base's word folding).
    "storms": {"core", "accounts", "audit", "tickets", "postmortem", "kb"},
    "dashboard": {"core", "accounts", "audit", "tickets", "escalation", "postmortem", "kb"},
    # The REST API and the outbound webhooks sit on top: they call the other apps' services and selectors,
    # and nothing imports them (the webhooks reach the API's representation through a setting).
    "api": {"core", "accounts", "audit", "tickets", "sla", "escalation", "postmortem", "kb", "storms", "dashboard"},
    "webhooks": {"core", "accounts", "audit", "tickets", "sla", "escalation", "postmortem", "kb", "storms", "dashboard",
                 "api"},
    # Personal data (GDPR) reads every app for an export and rewrites every text column to anonymise;
    # nothing imports it but helpdesk.
    "privacy": {"core", "accounts", "audit", "tickets", "sla", "escalation", "postmortem", "kb", "storms", "dashboard",
                "api", "webhooks"},
    # Smart dispatch sits above sla and escalation: it reads tickets, the calendars and deadlines, and
    # assigns through tickets' services; nothing imports it but helpdesk.
    "dispatch": {"core", "accounts", "audit", "tickets", "sla", "escalation"},
    "demo": set(APPS),
    "helpdesk": set(APPS),
}


def _modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py") if (ROOT / app).is_dir() else ():
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(module: str, path: Path, *, top_level_only: bool) -> set[str]:
    """The modules `module` imports (relative imports resolved), at load time only if asked."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    nodes = tree.body if top_level_only else ast.walk(tree)
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                prefix = ".".join([*base, node.module] if node.module else base)
            else:
                prefix = node.module or ""
            names.add(prefix)
            names.update(f"{prefix}.{alias.name}" for alias in node.names)
    return names


def test_every_import_follows_the_one_way_rules():
    broken = []
    for module, path in _modules().items():
        app = module.split(".")[0]
        for name in _imports(module, path, top_level_only=False):
            target = name.split(".")[0]
            if target in APPS and target != app and target not in ALLOWED[app]:
                broken.append(f"{module} imports {name}")
    assert not broken, "\n".join(sorted(broken))


def test_no_module_imports_another_that_imports_it_back_at_load_time():
    modules = _modules()
    graph = defaultdict(set)
    for module, path in modules.items():
        for name in _imports(module, path, top_level_only=True):
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module:
                graph[module].add(name)
    cycles = _cycles(graph)
    assert not cycles, "\n".join(cycles)


def _cycles(graph: dict[str, set[str]]) -> list[str]:
    cycles = []
    state: dict[str, int] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycles.append(" → ".join([*trail[trail.index(target):], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    # A package's __init__ re-exporting its own modules is not a circle between two concerns.
    return [cycle for cycle in cycles if not _package_reexport(cycle)]


def _package_reexport(cycle: str) -> bool:
    first, second = cycle.split(" → ")[:2]
    return second.startswith(first + ".") or first.startswith(second + ".")


def test_a_circle_is_found_and_a_package_reexport_is_not_one():
    graph = {"tickets.services": {"tickets.services.lifecycle"}, "tickets.services.lifecycle": {"tickets.outbox"},
             "tickets.outbox": {"tickets.tasks"}, "tickets.tasks": {"tickets.outbox"}}

    assert _cycles(graph) == ["tickets.outbox → tickets.tasks → tickets.outbox"]


def test_the_rules_catch_a_forbidden_import(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("from escalation.models import Escalation\n\ndef f():\n    from ..selectors import x\n")

    names = _imports("tickets.services.probe", probe, top_level_only=False)

    assert "escalation.models" in names and "tickets.selectors.x" in names
    assert "escalation" not in ALLOWED["tickets"]
