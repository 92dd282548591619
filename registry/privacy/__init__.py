"""Privacy (PIPL): who acts (roles, jurisdiction and venue scopes), the append-only journal of
events, the keyed hash-chained audit log and its use cases.

May import: ``registry.identity``, ``registry.db``, ``registry.context``, ``registry.errors``.
Every use case above this layer checks permission here once and hands its journal events and
audit notes to the unit of work (``privacy.unit``), which writes them at commit.
"""
