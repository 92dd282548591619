"""Database roles of a station: the service's own role, SELECT-only logins, policies that
trust nothing the client sets (issue #15). Placeholder until filled.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
