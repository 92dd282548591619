"""Employments join the desk's upload (issue #16): the outbox triggers of 0006 on ``employments``.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# The trigger texts of 0006 (its function ``laiqu_outbox_capture`` serves every table).
SQLITE_TRIGGER = (
    "CREATE TRIGGER outbox_employments_{op} AFTER {OP} ON employments "
    "WHEN NOT EXISTS (SELECT 1 FROM sync_capture_off) BEGIN "
    "INSERT INTO outbox (id, table_name, record_id, op, created_at, state, attempts) "
    "VALUES (lower(hex(randomblob(16))), 'employments', NEW.id, '{op}', "
    "strftime('%Y-%m-%d %H:%M:%f', 'now'), 'pending', 0); END"
)
PG_TRIGGER = (
    "CREATE TRIGGER outbox_capture AFTER INSERT OR UPDATE ON employments "
    "FOR EACH ROW EXECUTE FUNCTION laiqu_outbox_capture()"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_TRIGGER)
    else:
        for o in ("insert", "update"):
            op.execute(SQLITE_TRIGGER.format(op=o, OP=o.upper()))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER outbox_capture ON employments")
    else:
        for o in ("insert", "update"):
            op.execute(f"DROP TRIGGER outbox_employments_{o}")
