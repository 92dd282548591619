"""Persistence: SQLAlchemy 2.x typed mappings, engines, the schema's Alembic migrations,
Core fast inserts, advisory locks, per-transaction and per-process (reference) caches.

May import nothing of the registry but ``registry.errors``: every other subpackage stands on it.
"""
