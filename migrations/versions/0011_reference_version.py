"""The version of the reference data: jurisdictions, venues, rooms and rules (issue #16).

A process caches reference data across transactions and re-reads it when this counter moved.
Triggers bump it on every INSERT, UPDATE or DELETE of those tables, so no writer (a use case,
a migration, a hand-written statement) can change them without invalidating the caches.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLES = ("jurisdictions", "venues", "rooms", "rules")
BUMP = "UPDATE reference_version SET version = version + 1 WHERE id = 1"
SQLITE_TRIGGER = (
    "CREATE TRIGGER reference_{table}_{op} AFTER {OP} ON {table} BEGIN " + BUMP + "; END"
)
PG_FUNCTION = (
    "CREATE FUNCTION laiqu_reference_bump() RETURNS trigger LANGUAGE plpgsql "
    "SECURITY DEFINER SET search_path = public AS $$ BEGIN " + BUMP + "; RETURN NULL; END $$"
)
PG_TRIGGER = (
    "CREATE TRIGGER reference_bump AFTER INSERT OR UPDATE OR DELETE ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION laiqu_reference_bump()"
)


def upgrade() -> None:
    op.create_table(
        "reference_version",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_version")),
    )
    op.execute("INSERT INTO reference_version (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for table in TABLES:
            op.execute(PG_TRIGGER.format(table=table))
    else:
        for table in TABLES:
            for kind in ("insert", "update", "delete"):
                op.execute(SQLITE_TRIGGER.format(table=table, op=kind, OP=kind.upper()))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER reference_bump ON {table}")
        op.execute("DROP FUNCTION laiqu_reference_bump()")
    else:
        for table in TABLES:
            for kind in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER reference_{table}_{kind}")
    op.drop_table("reference_version")
