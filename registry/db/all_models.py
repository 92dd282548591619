"""Imports every module that defines tables, so the metadata is complete for Alembic."""

from registry.db import (
    access_models,  # noqa: F401
    credential_models,  # noqa: F401
    key_models,  # noqa: F401
    models,  # noqa: F401
    reference_models,  # noqa: F401
    retention_models,  # noqa: F401
    rules_models,  # noqa: F401
    sync_models,  # noqa: F401
)
