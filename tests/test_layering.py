"""The house's rule of who imports whom (strategy_app/services/__init__.py), checked on the code."""

import ast
import pathlib

import pytest

SERVICES = pathlib.Path(__file__).resolve().parent.parent / "strategy_app" / "services"
# What each service package may import from the others (besides itself).
ALLOWED = {
    "plumbing": set(),
    "evaluation": {"plumbing"},
    "reads": {"plumbing", "evaluation"},
    "writes": {"plumbing", "evaluation"},
    "dataio": {"plumbing", "evaluation", "reads", "writes"},
}
# Outside services/, a service may use only these parts of the app (no blueprint); charts/
# builds figures from data and itself uses only evaluation.
APP_PARTS = {"models", "extensions", "schemas", "policy", "services", "database", "data", "charts"}


def _imports(path):
    """Every strategy_app module imported by the file at path, with its line."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            if name.startswith("strategy_app."):
                yield name, node.lineno


def _service_files():
    return sorted(p for p in SERVICES.rglob("*.py") if p.parent != SERVICES)


def test_every_service_module_lives_in_a_known_package():
    loose = [p.name for p in SERVICES.glob("*.py") if p.name != "__init__.py"]
    assert loose == []
    assert {p.name for p in SERVICES.iterdir() if p.is_dir() and p.name != "__pycache__"} == set(
        ALLOWED
    )


@pytest.mark.parametrize("path", _service_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_import_runs_back_up(path):
    own = path.parent.name
    wrong = []
    for name, line in _imports(path):
        parts = name.split(".")
        if parts[1] == "services":
            other = parts[2] if len(parts) > 2 else own
            if other in ALLOWED and other != own and other not in ALLOWED[own]:
                wrong.append(f"line {line}: {own} imports {name}")
        elif parts[1] not in APP_PARTS:
            wrong.append(f"line {line}: a service imports the blueprint or module {name}")
    assert wrong == []
