"""``python -m cli``: the ``laiqu`` command without its console script."""

from cli.main import main

main()
