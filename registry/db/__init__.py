"""Persistence: SQLAlchemy 2.x typed mappings, engines and the schema's Alembic migrations."""
