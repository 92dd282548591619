"""A progress bar on stderr for long work: import, export, check, purge, report, sync push.

click's own ``progressbar`` (no new dependency, and click is loaded anyway: ``rich`` would add
~40 ms of start-up to every command that shows one). It is drawn only when stderr is a
terminal and the command was not asked for ``--json``: piped, redirected or JSON output gets
no bar and no label (click would still print its label once when stderr is not a terminal).
The core reports its work through a plain callback, ``Progress`` (``done, total`` in items;
``total`` 0 while unknown), and never imports click.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from registry.progress import Progress


def wanted(as_json: bool = False) -> bool:
    """A bar makes sense: stderr is a terminal and the output is not JSON."""
    return not as_json and sys.stderr.isatty()


@contextmanager
def bar(label: str, *, as_json: bool = False) -> Iterator[Progress | None]:
    """A ``Progress`` callback drawing a bar under ``label``, or None (nothing to draw)."""
    if not wanted(as_json):
        yield None
        return
    with click.progressbar(
        length=1, label=label, file=sys.stderr, show_pos=True, show_percent=True
    ) as shown:

        def report(done: int, total: int) -> None:
            if not total:  # the total is not known yet: a count, redrawn in place
                click.echo(f"\r{label}  {done}", file=sys.stderr, nl=False)
                return
            shown.length = max(total, done, 1)
            if done > shown.pos:
                shown.update(done - shown.pos)

        yield report
