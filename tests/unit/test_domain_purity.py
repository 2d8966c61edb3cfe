"""televisit/domain imports only the standard library and itself (DESIGN rule 1)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "televisit" / "domain"
ALLOWED = {
    "__future__",
    "abc",
    "bisect",
    "collections",
    "dataclasses",
    "datetime",
    "decimal",
    "enum",
    "functools",
    "itertools",
    "math",
    "operator",
    "re",
    "string",
    "typing",
    "uuid",
    "zoneinfo",
}
OWN = "televisit.domain"


def foreign_imports(source: str, filename: str = "<src>") -> list[str]:
    """Every module imported anywhere in `source` (functions included) that is not allowed."""
    bad = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # a relative import stays inside the package
                continue
            names = [node.module or ""]
        else:
            continue
        for name in names:
            if name.split(".")[0] not in ALLOWED and name != OWN and not name.startswith(OWN + "."):
                bad.append(name)
    return bad


def domain_files() -> list[Path]:
    return sorted(DOMAIN.rglob("*.py"))


def test_the_domain_package_is_where_we_look():
    names = {p.name for p in domain_files()}
    assert {"__init__.py", "timezones.py", "availability.py"} <= names


@pytest.mark.parametrize("path", domain_files(), ids=lambda p: p.name)
def test_domain_module_imports_only_stdlib_and_itself(path):
    assert foreign_imports(path.read_text(encoding="utf-8"), str(path)) == []


@pytest.mark.parametrize(
    "source",
    [
        "import flask",
        "from sqlalchemy import select",
        "import televisit.models",
        "from televisit import extensions",
        "from televisit.domainx import y",
        "import os.path",
        "def f():\n    import twilio.rest\n",
        "import datetime, icalendar",
    ],
)
def test_checker_catches_foreign_imports(source):
    assert foreign_imports(source) != []


@pytest.mark.parametrize(
    "source",
    [
        "from __future__ import annotations",
        "from zoneinfo import ZoneInfo",
        "import datetime as dt",
        "from televisit.domain.timezones import get_zone",
        "import televisit.domain.availability",
        "from . import timezones",
        "from collections.abc import Iterable",
    ],
)
def test_checker_allows_stdlib_and_own_package(source):
    assert foreign_imports(source) == []
