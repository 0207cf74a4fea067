"""The domain stays free of I/O frameworks, so that every rule can be tested without them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import submissions.domain

DOMAIN = Path(submissions.domain.__file__).parent
FORBIDDEN = ("fastapi", "starlette", "sqlalchemy", "sqlmodel", "redis", "faststream", "httpx", "openpyxl")


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


@pytest.mark.parametrize("module", sorted(DOMAIN.glob("*.py")), ids=lambda p: p.name)
def test_domain_modules_import_no_web_sql_or_bus_framework(module: Path) -> None:
    offending = {m for m in imported_modules(module) if m.split(".")[0] in FORBIDDEN}
    assert not offending, f"{module.name} imports {sorted(offending)}"
