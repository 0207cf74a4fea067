import ast
from pathlib import Path

import judging.domain

FORBIDDEN = {
    "fastapi",
    "faststream",
    "sqlmodel",
    "sqlalchemy",
    "redis",
    "httpx",
    "kaleidoscope_shared",
    "judging",
}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_imports_no_framework_database_bus_or_outer_layer():
    package = Path(judging.domain.__file__).parent
    offenders = {p.name: imported_roots(p) & FORBIDDEN for p in package.glob("*.py")}
    assert {name: roots for name, roots in offenders.items() if roots} == {}
