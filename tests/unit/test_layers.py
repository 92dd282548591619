"""The core depends on nothing of the edges: no click, serial, smartcard or reportlab."""

import subprocess
import sys

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
