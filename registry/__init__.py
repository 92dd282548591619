"""laiqu's registry core: model, rules, matchings and use cases.

No click, serial, smartcard or reportlab here: drivers, the CLI and the reports depend on the
core, never the reverse. Use cases are functions taking a ``Session`` and a ``Context``; the
caller owns the transaction (``with session_factory.begin() as session: ...``), so a refused
request leaves the database as it was.

Subpackages, by domain (each ``__init__`` says what it owns and may import; the order is
a contract checked by import-linter, see ``pyproject.toml``): ``identity`` and ``db`` at the
bottom, then ``privacy``, ``matching``, ``people``, ``places``, ``movements`` and ``permits``,
and on top ``sync``, ``exchange``, ``retention``, ``lookup`` and ``accounts``. Two modules
stand beside them and import nothing of the registry: ``errors`` and ``context``;
``messages`` (the Chinese wording of the core's messages) imports nothing either.
"""
