"""``python -m cli``: the ``laiqu`` command without its console script."""

from cli.main import main

if __name__ == "__main__":  # imported (a walk over the package's modules): nothing runs
    main()
