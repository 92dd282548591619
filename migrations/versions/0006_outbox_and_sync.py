"""The desk outbox, sync batches and the station's applied-upload ledger (issue #9).

Triggers queue every insert and update of the tracked tables in the transaction of the
change, on both engines, so a Core ``insert(Model)`` is captured like an ORM flush. A row in
``sync_capture_off`` switches capture off (a station applying uploads).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TRACKED = ("persons", "documents", "stays", "residences", "events")

SQLITE_TRIGGER = (
    "CREATE TRIGGER outbox_{table}_{op} AFTER {OP} ON {table} "
    "WHEN NOT EXISTS (SELECT 1 FROM sync_capture_off) BEGIN "
    "INSERT INTO outbox (id, table_name, record_id, op, created_at, state, attempts) "
    "VALUES (lower(hex(randomblob(16))), '{table}', NEW.id, '{op}', "
    "strftime('%Y-%m-%d %H:%M:%f', 'now'), 'pending', 0); END"
)
PG_FUNCTION = (
    # SECURITY DEFINER: a desk's own login (row-level security, migration 0005) writes the
    # queue through the trigger, whatever its grants on the outbox and its sequence.
    "CREATE FUNCTION laiqu_outbox_capture() RETURNS trigger LANGUAGE plpgsql "
    "SECURITY DEFINER SET search_path = public AS $$ BEGIN "
    "IF NOT EXISTS (SELECT 1 FROM sync_capture_off) THEN "
    "INSERT INTO outbox (id, table_name, record_id, op, created_at, state, attempts) "
    "VALUES (gen_random_uuid(), TG_TABLE_NAME, NEW.id, lower(TG_OP), clock_timestamp(), "
    "'pending', 0); END IF; RETURN NULL; END $$"
)
PG_TRIGGER = (
    "CREATE TRIGGER outbox_capture AFTER {ops} ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION laiqu_outbox_capture()"
)


def _ops(table: str) -> list[str]:
    return ["insert"] if table == "events" else ["insert", "update"]  # events are append-only


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("table_name", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("op", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("notice", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_outbox")),
        sa.UniqueConstraint("id", name=op.f("uq_outbox_id")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_record", ["record_id"], unique=False)
        batch_op.create_index("ix_outbox_state_seq", ["state", "seq"], unique=False)
    op.create_table(
        "sync_capture_off",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sync_capture_off")),
    )
    op.create_table(
        "sync_ledger",
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("desk_id", sa.Uuid(), nullable=True),
        sa.Column("station_id", sa.Uuid(), nullable=True),
        sa.Column("result", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("notice", sa.String(length=500), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("venue_id", "item_id", name=op.f("pk_sync_ledger")),
    )
    with op.batch_alter_table("sync_ledger", schema=None) as batch_op:
        batch_op.create_index("ix_sync_ledger_desk", ["venue_id", "desk_id"], unique=False)
    op.create_table(
        "sync_heartbeats",
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("checkins", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("venue_id", "day", name=op.f("pk_sync_heartbeats")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for table in TRACKED:
            ops = " OR ".join(o.upper() for o in _ops(table))
            op.execute(PG_TRIGGER.format(ops=ops, table=table))
    else:
        for table in TRACKED:
            for o in _ops(table):
                op.execute(SQLITE_TRIGGER.format(table=table, op=o, OP=o.upper()))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TRACKED:
            op.execute(f"DROP TRIGGER outbox_capture ON {table}")
        op.execute("DROP FUNCTION laiqu_outbox_capture()")
    else:
        for table in TRACKED:
            for o in _ops(table):
                op.execute(f"DROP TRIGGER outbox_{table}_{o}")
    op.drop_table("sync_heartbeats")
    with op.batch_alter_table("sync_ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_ledger_desk")
    op.drop_table("sync_ledger")
    op.drop_table("sync_capture_off")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_state_seq")
        batch_op.drop_index("ix_outbox_record")
    op.drop_table("outbox")
