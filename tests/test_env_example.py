"""`.env.example` documents every environment variable that helpdesk/settings.py reads (issue 13)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READERS = {"env_bool", "env_list", "env_json", "getenv"}


def variables_read(source: str) -> set[str]:
    """Names passed as the first argument of os.environ.get / os.getenv / env_bool / env_list / env_json, or
    used as os.environ["NAME"]."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            function = node.func
            name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
            environ = (isinstance(function, ast.Attribute) and name == "get"
                       and ast.unparse(function.value) in {"os.environ", "environ"})
            if environ or name in READERS:
                names.add(node.args[0].value)
        elif (isinstance(node, ast.Subscript) and ast.unparse(node.value) in {"os.environ", "environ"}
              and isinstance(node.slice, ast.Constant)):
            names.add(node.slice.value)
    return names


def documented(example: str) -> set[str]:
    return set(re.findall(r"^#?\s?([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))


def test_the_parser_finds_each_way_settings_read_a_variable():
    source = ('import os\nA = os.environ.get("ONE", "x")\nB = env_bool("TWO")\nC = env_list("THREE", "")\n'
              'D = os.environ["FOUR"]\nE = os.getenv("FIVE")\nF = {}.get("NOT_ENV")\n')
    assert variables_read(source) == {"ONE", "TWO", "THREE", "FOUR", "FIVE"}


def test_every_variable_settings_read_is_in_env_example():
    read = variables_read((ROOT / "helpdesk" / "settings.py").read_text())
    missing = read - documented((ROOT / ".env.example").read_text())
    assert len(read) > 30
    assert not missing, f"add these to .env.example, with their default: {sorted(missing)}"
