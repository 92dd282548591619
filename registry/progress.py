"""How long work tells its caller how far it is: a plain callback, no user interface.

``Progress(done, total)``: ``done`` units of work (rows, items, persons) finished of
``total`` (0 while the total is unknown). Called now and then, never required: every use case
taking one accepts None. The command line draws it as a bar (``cli.progress``).
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[int, int], None]
STEP = 100  # units of work between two reports of a loop over rows
