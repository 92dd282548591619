"""Import this checkout's ``registry`` package before anything else does.

tests/ is on sys.path (pytest's rootdir insertion, and conftest for its helpers) and
tests/registry/ is a package: it would shadow the real ``registry``, and an editable install
of another checkout would then supply ``registry.db`` & co (tests passing on code that is not
the one under test). The checkout's own package is imported first and also finds the test
modules of tests/registry/ (pytest imports them as ``registry.test_*``).
"""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

if str(ROOT) in sys.path:
    sys.path.remove(str(ROOT))
sys.path.insert(0, str(ROOT))
sys.modules.pop("registry", None)

import registry  # noqa: E402

if str(TESTS / "registry") not in registry.__path__:
    registry.__path__.append(str(TESTS / "registry"))
