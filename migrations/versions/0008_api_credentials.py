"""API credentials of registry users (argon2 password hashes, revocable device tokens) for
the station service (issue #15). Placeholder until filled.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
