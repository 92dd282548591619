"""Retention of stays, residences and employments: legal holds (issue #8).

The retention periods are rules (``retention_*_years`` in ``registry.matching.rules``), stored
in the ``rules`` table of 0002; this revision adds only the holds that keep a person out of a purge.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retention_holds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_by", sa.String(length=64), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_holds")),
    )
    op.create_index(
        "ix_retention_holds_person", "retention_holds", ["person_id", "released_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_retention_holds_person", table_name="retention_holds")
    op.drop_table("retention_holds")
