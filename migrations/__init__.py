"""Alembic migrations: the only way laiqu's schema is created or changed."""
