"""A label translated when its module is imported keeps the language of that moment (the default, French)
for every reader: the dashboard's table headers read French on an English page. Module-level and class-level
labels are lazy (gettext_lazy) or functions called per request; this reads our code for the others."""

from __future__ import annotations

import ast

from django.urls import reverse

from tests.test_architecture import APPS, ROOT

EAGER = {"gettext", "ngettext", "pgettext", "npgettext"}


class _AtImport(ast.NodeVisitor):
    """The calls of an eager gettext that run when the module is imported: at module and class level, and in
    the default values and decorators of functions, not in the bodies of functions and lambdas."""

    def __init__(self, names: set[str]):
        self.names, self.found = names, []

    def visit_FunctionDef(self, node):
        for expression in [*node.args.defaults, *filter(None, node.args.kw_defaults), *node.decorator_list]:
            self.visit(expression)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node):
        pass

    def visit_Call(self, node):
        if isinstance(node.func, ast.Name) and node.func.id in self.names:
            self.found.append(node.lineno)
        self.generic_visit(node)


def _translated_at_import(source: str) -> list[int]:
    tree = ast.parse(source)
    names = {alias.asname or alias.name for node in ast.walk(tree)
             if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
             for alias in node.names if alias.name in EAGER}
    visitor = _AtImport(names)
    if names:
        visitor.visit(tree)
    return visitor.found


def test_the_check_finds_a_label_translated_at_import():
    source = ("from django.utils.translation import gettext as _\n"
              "COLUMNS = [('total', _('Tickets'))]\n"
              "LATER = {'take': lambda: _('take')}\n"
              "def view(request, label=_('Default')):\n"
              "    return _('Per request')\n")
    assert _translated_at_import(source) == [2, 4]


def test_no_label_of_ours_is_translated_at_import():
    found = [f"{path.relative_to(ROOT)}:{line}"
             for app in APPS for path in sorted((ROOT / app).rglob("*.py")) if "migrations" not in path.parts
             for line in _translated_at_import(path.read_text(encoding="utf-8"))]
    assert found == []


def test_the_dashboards_table_headers_are_in_the_readers_language(client, manager, ticket):
    client.force_login(manager)

    english = client.get(reverse("dashboard:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    french = client.get(reverse("dashboard:index"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    export = client.get(reverse("dashboard:index"), {"export": "priority"},
                        HTTP_ACCEPT_LANGUAGE="en").content.decode("utf-8-sig")

    assert "Response within SLA (%)" in english and "Réponse dans les délais SLA (%)" not in english
    assert "Réponse dans les délais SLA (%)" in french
    assert export.splitlines()[0].startswith("Group;Tickets;MTTR (h);First response (h);Response within SLA (%)")
