"""laiqu's registry core: model, rules, matchings and use cases.

No click, serial, smartcard or reportlab here: drivers, the CLI and the reports depend on the
core, never the reverse. Use cases are functions taking a ``Session`` and a ``Context``; the
caller owns the transaction (``with session_factory.begin() as session: ...``), so a refused
request leaves the database as it was.

Modules: ``ids`` (document numbers), ``cards`` (the CardRead value type drivers return),
``people``, ``places``, ``stays``, ``residences``, ``employment`` (use cases), ``matching``
(findings), ``queries`` (read side), ``rules`` (per-jurisdiction deadlines and thresholds),
``permits`` (residence permits), ``studies`` (study records), ``overdue`` (cancel or extend
overdue residences), ``db`` (models, engine, schema).
"""
