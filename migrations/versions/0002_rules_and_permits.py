"""Rules per jurisdiction (append-only), study records, residence permits and their
endorsements (append-only)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:55:14.484908
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

APPEND_ONLY = ("rules", "permit_endorsements")


def _append_only(table: str) -> list[str]:
    """Triggers refusing UPDATE and DELETE (PostgreSQL reuses 0001's laiqu_append_only())."""
    if op.get_bind().dialect.name == "postgresql":
        return [
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION laiqu_append_only()"
        ]
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} are append-only'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} are append-only'); END",
    ]


def upgrade() -> None:
    op.create_table(
        "permits",
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("city_code", sa.String(length=32), nullable=False),
        sa.Column("jurisdiction_code", sa.String(length=32), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("years_from", sa.Date(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permits")),
        sa.UniqueConstraint("number", name=op.f("uq_permits_number")),
    )
    with op.batch_alter_table("permits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_permits_due_on"), ["due_on"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_permits_jurisdiction_code"), ["jurisdiction_code"], unique=False
        )
        batch_op.create_index("ix_permits_person", ["person_id", "revoked_on"], unique=False)

    op.create_table(
        "studies",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("jurisdiction_code", sa.String(length=32), nullable=False),
        sa.Column("school", sa.String(length=200), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("registered_by", sa.String(length=64), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_studies")),
    )
    with op.batch_alter_table("studies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_studies_jurisdiction_code"), ["jurisdiction_code"], unique=False
        )
        batch_op.create_index("ix_studies_person", ["person_id", "valid_to"], unique=False)

    op.create_table(
        "permit_endorsements",
        sa.Column("permit_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("jurisdiction_code", sa.String(length=32), nullable=False),
        sa.Column("endorsed_on", sa.Date(), nullable=False),
        sa.Column("anniversary", sa.Date(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("suspended_from", sa.Date(), nullable=True),
        sa.Column("years_from", sa.Date(), nullable=False),
        sa.Column("endorsed_by", sa.String(length=64), nullable=False),
        sa.Column("endorsed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["permit_id"], ["permits.id"], name=op.f("fk_permit_endorsements_permit_id_permits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permit_endorsements")),
    )
    with op.batch_alter_table("permit_endorsements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_permit_endorsements_permit", ["permit_id", "endorsed_on"], unique=False
        )

    op.create_table(
        "rules",
        sa.Column("jurisdiction_code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["jurisdiction_code"],
            ["jurisdictions.code"],
            name=op.f("fk_rules_jurisdiction_code_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rules")),
    )
    with op.batch_alter_table("rules", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rules_lookup", ["jurisdiction_code", "name", "effective_from"], unique=False
        )
    for table in APPEND_ONLY:
        for statement in _append_only(table):
            op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table("rules", schema=None) as batch_op:
        batch_op.drop_index("ix_rules_lookup")

    op.drop_table("rules")
    with op.batch_alter_table("permit_endorsements", schema=None) as batch_op:
        batch_op.drop_index("ix_permit_endorsements_permit")

    op.drop_table("permit_endorsements")
    with op.batch_alter_table("studies", schema=None) as batch_op:
        batch_op.drop_index("ix_studies_person")
        batch_op.drop_index(batch_op.f("ix_studies_jurisdiction_code"))

    op.drop_table("studies")
    with op.batch_alter_table("permits", schema=None) as batch_op:
        batch_op.drop_index("ix_permits_person")
        batch_op.drop_index(batch_op.f("ix_permits_jurisdiction_code"))
        batch_op.drop_index(batch_op.f("ix_permits_due_on"))

    op.drop_table("permits")
