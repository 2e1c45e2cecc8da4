"""The layers of docs/architecture.md: the domain (`resolvers/`) and the models never import a
door (`rest/`, `schema/`, `web.py`, `server.py`); doors hand the domain what it needs instead
(e.g. the webhook body's wording, `webhook_worker.use_payloads`)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOORS = {"rest", "schema", "web", "server", "pages"}


def _imported(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", ["resolvers", "models"])
def test_the_domain_imports_no_door(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    wrong = {str(f.relative_to(ROOT)): _imported(f) & DOORS for f in files if _imported(f) & DOORS}
    assert wrong == {}
