"""Voided check-ins and move-ins (issue #19): a mistaken record is voided, never deleted.

``stays`` and ``residences`` get ``voided_at`` (UTC instant), ``voided_by`` (the actor) and
``void_reason`` (the operator's words). A voided row keeps every other column as it was; the
registry's ORM reads leave it out (``registry.db.voiding``) and the journal keeps the act.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TABLES = ("stays", "residences")


# Plain ALTER TABLE on both engines: a batch (copy-and-move) on SQLite would drop the outbox
# triggers of migration 0006 on these tables.


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True))
        op.add_column(table, sa.Column("voided_by", sa.String(length=64), nullable=True))
        op.add_column(table, sa.Column("void_reason", sa.String(length=200), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        for column in ("void_reason", "voided_by", "voided_at"):
            op.drop_column(table, column)
