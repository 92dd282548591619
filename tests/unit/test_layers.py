"""The layers: the core depends on nothing of the edges; contracts and private names."""

import ast
import subprocess
import sys
from pathlib import Path

FORBIDDEN = ("click", "serial", "smartcard", "reportlab")


def test_registry_imports_no_edge_library():
    code = (
        "import importlib, pkgutil, sys, registry\n"
        "for m in pkgutil.walk_packages(registry.__path__, 'registry.'):\n"
        "    importlib.import_module(m.name)\n"
        f"print(','.join(n for n in {FORBIDDEN!r} if n in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def _project_files() -> list[Path]:
    root = Path(__file__).resolve().parents[2]
    return [p for d in ("registry", "cli", "reports", "drivers") for p in (root / d).rglob("*.py")]


def test_no_module_imports_a_private_name_of_another():
    """``from x import _y`` across modules hides a dependency the layers cannot see."""
    found = []
    for path in _project_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            ours = isinstance(node, ast.ImportFrom) and not node.level and node.module
            if ours and node.module.split(".")[0] in ("registry", "cli", "reports", "drivers"):
                found += [
                    f"{path.name}: {node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_")
                ]
    assert found == []


def test_the_architecture_contracts_are_kept():
    """The import-linter contracts of pyproject.toml (layers, no circles, no edge library)."""
    root = Path(__file__).resolve().parents[2]
    tool = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(tool), "--no-cache"], capture_output=True, text=True, cwd=root)
    assert done.returncode == 0, done.stdout[-3000:]
