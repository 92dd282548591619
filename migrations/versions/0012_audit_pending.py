"""Audit entries written unchained, chained afterwards by one chainer at a time (issue #16).

Until now every writing transaction locked the single ``audit_head`` row from its append to
its COMMIT, which serialised every writer of the database. From this revision a writer
inserts its entries into ``audit_pending`` (an id from a sequence and the keyed MAC of the
entry's own fields: no shared row is touched) and ``registry.privacy.audit.chain`` moves
the committed ones into ``audit_log`` in short transactions of their own, one chainer at a
time (the ``audit_head`` row lock, ``SKIP LOCKED`` for the opportunistic callers).

* ``audit_log.pending_id`` (unique): the pending entry a chained one came from, covered by
  its hash, so a pending entry replayed after its chaining is noticed by ``audit verify``;
* ``audit_pending`` refuses UPDATE, and DELETE of an entry not yet chained (triggers), so
  only the database owner can drop an unchained entry; the service login may INSERT,
  SELECT and DELETE (the chainer), never UPDATE.

Existing entries keep their hashes (``pending_id`` NULL hashes as before): the chain
verifies unchanged after the upgrade.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

POSTGRES_UP = [
    """CREATE FUNCTION laiqu_audit_pending_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'audit_pending is append-only';
      END IF;
      IF NOT EXISTS (SELECT 1 FROM audit_log WHERE pending_id = OLD.id) THEN
        RAISE EXCEPTION 'audit_pending: entry % is not chained yet', OLD.id;
      END IF;
      RETURN OLD;
    END $$""",
    "CREATE TRIGGER audit_pending_guard BEFORE UPDATE OR DELETE ON audit_pending "
    "FOR EACH ROW EXECUTE FUNCTION laiqu_audit_pending_guard()",
    """DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'laiqu_service') THEN
        REVOKE ALL ON audit_pending FROM laiqu_service;
        GRANT SELECT, INSERT, DELETE ON audit_pending TO laiqu_service;
        GRANT USAGE, SELECT ON SEQUENCE audit_pending_id_seq TO laiqu_service;
      END IF; END $$""",
]
SQLITE_UP = [
    "CREATE TRIGGER audit_pending_no_update BEFORE UPDATE ON audit_pending "
    "BEGIN SELECT RAISE(ABORT, 'audit_pending is append-only'); END",
    "CREATE TRIGGER audit_pending_no_delete BEFORE DELETE ON audit_pending "
    "WHEN NOT EXISTS (SELECT 1 FROM audit_log WHERE pending_id = OLD.id) "
    "BEGIN SELECT RAISE(ABORT, 'audit_pending: entry is not chained yet'); END",
]


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("pending_id", sa.BigInteger(), nullable=True))
    op.create_index("ix_audit_log_pending_id", "audit_log", ["pending_id"], unique=True)
    op.create_table(
        "audit_pending",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("terminal", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("action", sa.String(48), nullable=False),
        sa.Column("purpose", sa.String(300), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("subjects", sa.Text(), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_pending")),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_UP if postgres else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    """Chain what is pending, re-hash the entries without their ``pending_id`` (with the key
    file) and drop the column and the table: the older code verifies the chain again."""
    from registry.privacy import audit, auditkey

    bind = op.get_bind()
    audit.chain(bind, wait=True)  # nothing written is lost: chained before the table goes
    audit.rechain(bind, auditkey.chain_key(bind), pending=False)
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_pending_guard ON audit_pending")
        op.execute("DROP FUNCTION IF EXISTS laiqu_audit_pending_guard()")
    op.drop_table("audit_pending")
    op.drop_index("ix_audit_log_pending_id", table_name="audit_log")
    op.execute("ALTER TABLE audit_log DROP COLUMN pending_id")
