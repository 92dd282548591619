"""Imports every module that defines tables, so the metadata is complete for Alembic."""

from registry.db import (
    models,  # noqa: F401
    rules_models,  # noqa: F401
)
