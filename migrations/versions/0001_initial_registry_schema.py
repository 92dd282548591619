"""Initial registry schema: jurisdictions, persons, documents, venues, rooms, houses,
employers, stays, residences, employments, findings and the append-only events journal

Revision ID: 0001
Revises:
Create Date: 2026-11-23 16:46:00.834698
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
]
APPEND_ONLY_POSTGRES = [
    "CREATE FUNCTION laiqu_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$",
    "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
    "FOR EACH ROW EXECUTE FUNCTION laiqu_append_only()",
]


def _append_only() -> list[str]:
    return (
        APPEND_ONLY_POSTGRES if op.get_bind().dialect.name == "postgresql" else APPEND_ONLY_SQLITE
    )


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("terminal", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("jurisdiction_code", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_occurred_at"), ["occurred_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_person_id"), ["person_id"], unique=False)
        batch_op.create_index("ix_events_subject", ["subject_kind", "subject_id"], unique=False)

    op.create_table(
        "findings",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("jurisdiction_code", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_findings_code"), ["code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_findings_jurisdiction_code"), ["jurisdiction_code"], unique=False
        )
        batch_op.create_index("ix_findings_key_open", ["key", "resolved_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_findings_person_id"), ["person_id"], unique=False)

    op.create_table(
        "jurisdictions",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("parent_code", sa.String(length=32), nullable=True),
        sa.Column("path", sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["jurisdictions.code"],
            name=op.f("fk_jurisdictions_parent_code_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_jurisdictions")),
    )
    with op.batch_alter_table("jurisdictions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jurisdictions_path"), ["path"], unique=False)

    op.create_table(
        "persons",
        sa.Column("id_key", sa.String(length=64), nullable=False),
        sa.Column("doc_type", sa.String(length=24), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_pinyin", sa.String(length=400), nullable=False),
        sa.Column("name_initials", sa.String(length=200), nullable=False),
        sa.Column("english_name", sa.String(length=120), nullable=True),
        sa.Column("gender", sa.String(length=1), nullable=False),
        sa.Column("ethnicity", sa.String(length=2), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("nationality", sa.String(length=3), nullable=True),
        sa.Column("hukou_address", sa.String(length=200), nullable=True),
        sa.Column("hukou_region", sa.String(length=6), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
        sa.UniqueConstraint("id_key", name=op.f("uq_persons_id_key")),
    )
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_persons_number"), ["number"], unique=False)
        batch_op.create_index(batch_op.f("ix_persons_phone"), ["phone"], unique=False)

    op.create_table(
        "documents",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("doc_type", sa.String(length=24), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("issuer", sa.String(length=100), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("long_term", sa.Boolean(), nullable=False),
        sa.Column("capture", sa.String(length=8), nullable=False),
        sa.Column("reader_id", sa.String(length=100), nullable=True),
        sa.Column("sam_id", sa.String(length=64), nullable=True),
        sa.Column("chip_serial", sa.String(length=32), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("photo", sa.LargeBinary(), nullable=True),
        sa.Column("photo_sha256", sa.String(length=64), nullable=True),
        sa.Column("card_name", sa.String(length=100), nullable=True),
        sa.Column("card_gender", sa.String(length=1), nullable=True),
        sa.Column("card_birth_date", sa.Date(), nullable=True),
        sa.Column("card_ethnicity", sa.String(length=2), nullable=True),
        sa.Column("card_address", sa.String(length=200), nullable=True),
        sa.Column("extras", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_documents_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_documents_person_number", ["person_id", "doc_type", "number"], unique=False
        )

    op.create_table(
        "employers",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("industry", sa.String(length=8), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("jurisdiction_code", sa.String(length=32), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=True),
        sa.Column("registered", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["jurisdiction_code"],
            ["jurisdictions.code"],
            name=op.f("fk_employers_jurisdiction_code_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employers")),
        sa.UniqueConstraint("uscc", name=op.f("uq_employers_uscc")),
    )
    with op.batch_alter_table("employers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_employers_jurisdiction_code"), ["jurisdiction_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_employers_name"), ["name"], unique=False)

    op.create_table(
        "houses",
        sa.Column("jurisdiction_code", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("street", sa.String(length=100), nullable=True),
        sa.Column("building", sa.String(length=32), nullable=True),
        sa.Column("unit", sa.String(length=32), nullable=True),
        sa.Column("room", sa.String(length=32), nullable=True),
        sa.Column("door_plate", sa.String(length=64), nullable=True),
        sa.Column("landlord_id", sa.Uuid(), nullable=True),
        sa.Column("use", sa.String(length=16), nullable=False),
        sa.Column("rooms", sa.Integer(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("filing_number", sa.String(length=64), nullable=True),
        sa.Column("pledge_signed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["jurisdiction_code"],
            ["jurisdictions.code"],
            name=op.f("fk_houses_jurisdiction_code_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_houses")),
    )
    with op.batch_alter_table("houses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_houses_door_plate"), ["door_plate"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_houses_jurisdiction_code"), ["jurisdiction_code"], unique=False
        )

    op.create_table(
        "venues",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("jurisdiction_code", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["jurisdiction_code"],
            ["jurisdictions.code"],
            name=op.f("fk_venues_jurisdiction_code_jurisdictions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venues")),
    )
    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_venues_jurisdiction_code"), ["jurisdiction_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_venues_name"), ["name"], unique=False)

    op.create_table(
        "employments",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("employer_id", sa.Uuid(), nullable=False),
        sa.Column("jurisdiction_code", sa.String(length=32), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("post", sa.String(length=100), nullable=True),
        sa.Column("end_reason", sa.String(length=200), nullable=True),
        sa.Column("registered_by", sa.String(length=64), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["employers.id"], name=op.f("fk_employments_employer_id_employers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_employments")),
    )
    with op.batch_alter_table("employments", schema=None) as batch_op:
        batch_op.create_index("ix_employments_employer", ["employer_id", "valid_to"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_employments_jurisdiction_code"), ["jurisdiction_code"], unique=False
        )
        batch_op.create_index("ix_employments_person", ["person_id", "valid_to"], unique=False)

    op.create_table(
        "residences",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("house_id", sa.Uuid(), nullable=False),
        sa.Column("jurisdiction_code", sa.String(length=32), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("planned_end", sa.Date(), nullable=True),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.Column("reporter", sa.String(length=16), nullable=False),
        sa.Column("end_reason", sa.String(length=200), nullable=True),
        sa.Column("capture", sa.String(length=8), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("registered_by", sa.String(length=64), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("report_deadline", sa.Date(), nullable=False),
        sa.Column("departure_reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("departure_deadline", sa.Date(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["house_id"], ["houses.id"], name=op.f("fk_residences_house_id_houses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_residences")),
    )
    with op.batch_alter_table("residences", schema=None) as batch_op:
        batch_op.create_index("ix_residences_house", ["house_id", "valid_to"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_residences_jurisdiction_code"), ["jurisdiction_code"], unique=False
        )
        batch_op.create_index("ix_residences_person", ["person_id", "valid_to"], unique=False)

    op.create_table(
        "rooms",
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("beds", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["venue_id"], ["venues.id"], name=op.f("fk_rooms_venue_id_venues")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rooms")),
        sa.UniqueConstraint("venue_id", "number", name=op.f("uq_rooms_venue_id_number")),
    )
    op.create_table(
        "stays",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("room", sa.String(length=32), nullable=False),
        sa.Column("jurisdiction_code", sa.String(length=32), nullable=False),
        sa.Column("party_id", sa.Uuid(), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expected_checkout", sa.Date(), nullable=True),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("capture", sa.String(length=8), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("registered_by", sa.String(length=64), nullable=False),
        sa.Column("terminal", sa.String(length=64), nullable=True),
        sa.Column("report_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_stays_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_stays_person_id_persons")
        ),
        sa.ForeignKeyConstraint(["venue_id"], ["venues.id"], name=op.f("fk_stays_venue_id_venues")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stays")),
    )
    with op.batch_alter_table("stays", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stays_checked_in_at"), ["checked_in_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_stays_jurisdiction_code"), ["jurisdiction_code"], unique=False
        )
        batch_op.create_index("ix_stays_person_open", ["person_id", "checked_out_at"], unique=False)
        batch_op.create_index("ix_stays_venue_open", ["venue_id", "checked_out_at"], unique=False)

    for statement in _append_only():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER events_append_only ON events")
        op.execute("DROP FUNCTION laiqu_append_only()")
    else:
        op.execute("DROP TRIGGER events_no_update")
        op.execute("DROP TRIGGER events_no_delete")
    with op.batch_alter_table("stays", schema=None) as batch_op:
        batch_op.drop_index("ix_stays_venue_open")
        batch_op.drop_index("ix_stays_person_open")
        batch_op.drop_index(batch_op.f("ix_stays_jurisdiction_code"))
        batch_op.drop_index(batch_op.f("ix_stays_checked_in_at"))

    op.drop_table("stays")
    op.drop_table("rooms")
    with op.batch_alter_table("residences", schema=None) as batch_op:
        batch_op.drop_index("ix_residences_person")
        batch_op.drop_index(batch_op.f("ix_residences_jurisdiction_code"))
        batch_op.drop_index("ix_residences_house")

    op.drop_table("residences")
    with op.batch_alter_table("employments", schema=None) as batch_op:
        batch_op.drop_index("ix_employments_person")
        batch_op.drop_index(batch_op.f("ix_employments_jurisdiction_code"))
        batch_op.drop_index("ix_employments_employer")

    op.drop_table("employments")
    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_venues_name"))
        batch_op.drop_index(batch_op.f("ix_venues_jurisdiction_code"))

    op.drop_table("venues")
    with op.batch_alter_table("houses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_houses_jurisdiction_code"))
        batch_op.drop_index(batch_op.f("ix_houses_door_plate"))

    op.drop_table("houses")
    with op.batch_alter_table("employers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_employers_name"))
        batch_op.drop_index(batch_op.f("ix_employers_jurisdiction_code"))

    op.drop_table("employers")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("ix_documents_person_number")

    op.drop_table("documents")
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_persons_phone"))
        batch_op.drop_index(batch_op.f("ix_persons_number"))

    op.drop_table("persons")
    with op.batch_alter_table("jurisdictions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jurisdictions_path"))

    op.drop_table("jurisdictions")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_findings_person_id"))
        batch_op.drop_index("ix_findings_key_open")
        batch_op.drop_index(batch_op.f("ix_findings_jurisdiction_code"))
        batch_op.drop_index(batch_op.f("ix_findings_code"))

    op.drop_table("findings")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_subject")
        batch_op.drop_index(batch_op.f("ix_events_person_id"))
        batch_op.drop_index(batch_op.f("ix_events_occurred_at"))

    op.drop_table("events")
