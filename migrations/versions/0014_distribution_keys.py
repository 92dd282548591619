"""Keys a distributed database can keep: primary keys lead with the distribution column (#16).

``registry.db.distribution`` names each table's distribution column, and ``docs/scale.md``
the rules a sharded PostgreSQL (Citus) sets: every primary and unique key of a distributed
table contains its distribution column, and a foreign key between distributed tables joins
co-located tables on that column. This migration makes the schema keep them on a single
server too, so moving to Citus needs no change of keys:

* person-centric tables get primary keys ``(person_id, id)``, place-centric ones
  ``(jurisdiction_code, id)``; ``id`` keeps a plain index for look-ups by id;
* the foreign keys stays → documents, permit endorsements → permits and residences → houses
  carry the distribution column (a residence follows its house's jurisdiction: ON UPDATE
  CASCADE);
* the registry-wide unique keys (a person's ``id_key``, a permit's number) move to
  ``natural_keys``, a reverse-index table distributed by the key; triggers keep it in step,
  so a duplicate still fails as an integrity error in the writer's statement.

SQLite recreates a table to change its keys: its triggers are read from ``sqlite_master``
first and created again afterwards (``migrations/env.py`` turns foreign keys off around the
migration, as SQLite's documented procedure for schema changes asks).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# table -> distribution column; parents before their children.
KEYED = {
    "documents": "person_id",
    "permits": "person_id",
    "houses": "jurisdiction_code",
    "stays": "person_id",
    "studies": "person_id",
    "permit_endorsements": "person_id",
    "residences": "jurisdiction_code",
    "employments": "jurisdiction_code",
    "findings": "jurisdiction_code",
}
# child table -> (old single-column FK, new FK name, columns, parent, parent columns, on update)
LINKS = {
    "stays": (
        "fk_stays_document_id_documents",
        "fk_stays_person_id_documents",
        ["person_id", "document_id"],
        "documents",
        ["person_id", "id"],
        None,
    ),
    "permit_endorsements": (
        "fk_permit_endorsements_permit_id_permits",
        "fk_permit_endorsements_person_id_permits",
        ["person_id", "permit_id"],
        "permits",
        ["person_id", "id"],
        None,
    ),
    "residences": (
        "fk_residences_house_id_houses",
        "fk_residences_jurisdiction_code_houses",
        ["jurisdiction_code", "house_id"],
        "houses",
        ["jurisdiction_code", "id"],
        "CASCADE",
    ),
}
# owner table -> (key prefix, key column)
NATURAL = {"persons": ("person", "id_key"), "permits": ("permit", "number")}

PG_FUNCTION = """
CREATE FUNCTION laiqu_natural_keys_{table}() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO natural_keys (key, owner_id) SELECT '{prefix}:' || {column}, id FROM new_rows;
  ELSIF TG_OP = 'DELETE' THEN
    DELETE FROM natural_keys k USING old_rows o
     WHERE k.key = '{prefix}:' || o.{column} AND k.owner_id = o.id;
  ELSE  -- UPDATE: only the rows whose key changed
    DELETE FROM natural_keys k USING old_rows o JOIN new_rows n ON n.id = o.id
     WHERE n.{column} IS DISTINCT FROM o.{column}
       AND k.key = '{prefix}:' || o.{column} AND k.owner_id = o.id;
    INSERT INTO natural_keys (key, owner_id)
    SELECT '{prefix}:' || n.{column}, n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
     WHERE n.{column} IS DISTINCT FROM o.{column};
  END IF;
  RETURN NULL;
END $$
"""
PG_TRIGGERS = {
    "insert": "AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows",
    "update": "AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows",
}
SQLITE_TRIGGERS = {
    "insert": "AFTER INSERT ON {table} BEGIN "
    "INSERT INTO natural_keys (key, owner_id) VALUES ('{prefix}:' || NEW.{column}, NEW.id); END",
    "update": "AFTER UPDATE OF {column} ON {table} WHEN OLD.{column} IS NOT NEW.{column} BEGIN "
    "DELETE FROM natural_keys WHERE key = '{prefix}:' || OLD.{column}; "
    "INSERT INTO natural_keys (key, owner_id) VALUES ('{prefix}:' || NEW.{column}, NEW.id); END",
    "delete": "AFTER DELETE ON {table} BEGIN "
    "DELETE FROM natural_keys WHERE key = '{prefix}:' || OLD.{column}; END",
}


def _sqlite_triggers(table: str) -> list[str]:
    rows = op.get_bind().execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
        {"t": table},
    )
    return [r[0] for r in rows]


def _rebuild(table: str, change: object) -> None:
    """Apply ``change(batch)`` to ``table``; on SQLite keep the triggers the rebuild drops."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    triggers = _sqlite_triggers(table) if sqlite else []
    with op.batch_alter_table(table, recreate="always" if sqlite else "never") as batch:
        change(batch)  # type: ignore[operator]
    for sql in triggers:
        op.execute(sql)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":  # children first: the parents' keys are about to change
        for child, (old, *_rest) in LINKS.items():
            op.drop_constraint(old, child, type_="foreignkey")

    for table, column in KEYED.items():

        def change(batch: object, table: str = table, column: str = column) -> None:
            link = LINKS.get(table)
            if link and dialect == "sqlite":
                batch.drop_constraint(link[0], type_="foreignkey")  # type: ignore[attr-defined]
            batch.drop_constraint(f"pk_{table}", type_="primary")  # type: ignore[attr-defined]
            batch.create_primary_key(f"pk_{table}", [column, "id"])  # type: ignore[attr-defined]
            batch.create_index(f"ix_{table}_id", ["id"])  # type: ignore[attr-defined]
            if table in NATURAL:
                name = NATURAL[table][1]
                batch.drop_constraint(f"uq_{table}_{name}", type_="unique")  # type: ignore[attr-defined]
                batch.create_index(f"ix_{table}_{name}", [name])  # type: ignore[attr-defined]
            if link:
                _old, new, cols, parent, parent_cols, onupdate = link
                batch.create_foreign_key(  # type: ignore[attr-defined]
                    new, parent, cols, parent_cols, onupdate=onupdate
                )

        _rebuild(table, change)

    def persons(batch: object) -> None:
        batch.drop_constraint("uq_persons_id_key", type_="unique")  # type: ignore[attr-defined]
        batch.create_index("ix_persons_id_key", ["id_key"])  # type: ignore[attr-defined]

    _rebuild("persons", persons)

    op.create_table(
        "natural_keys",
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_natural_keys")),
    )
    for table, (prefix, column) in NATURAL.items():
        op.execute(
            f"INSERT INTO natural_keys (key, owner_id) "
            f"SELECT '{prefix}:' || {column}, id FROM {table}"
        )
        fill = {"table": table, "prefix": prefix, "column": column}
        if dialect == "postgresql":
            op.execute(PG_FUNCTION.format(**fill))
            for kind, when in PG_TRIGGERS.items():
                op.execute(
                    f"CREATE TRIGGER natural_keys_{kind} {when.format(**fill)} "
                    f"FOR EACH STATEMENT EXECUTE FUNCTION laiqu_natural_keys_{table}()"
                )
        else:
            for kind, body in SQLITE_TRIGGERS.items():
                op.execute(f"CREATE TRIGGER {table}_natural_keys_{kind} " + body.format(**fill))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in NATURAL:
        if dialect == "postgresql":
            for kind in PG_TRIGGERS:
                op.execute(f"DROP TRIGGER natural_keys_{kind} ON {table}")
            op.execute(f"DROP FUNCTION laiqu_natural_keys_{table}()")
        else:
            for kind in SQLITE_TRIGGERS:
                op.execute(f"DROP TRIGGER {table}_natural_keys_{kind}")
    op.drop_table("natural_keys")

    def persons(batch: object) -> None:
        batch.drop_index("ix_persons_id_key")  # type: ignore[attr-defined]
        batch.create_unique_constraint("uq_persons_id_key", ["id_key"])  # type: ignore[attr-defined]

    _rebuild("persons", persons)
    if dialect == "postgresql":
        for child, (_old, new, *_rest) in LINKS.items():
            op.drop_constraint(new, child, type_="foreignkey")
    for table in reversed(KEYED):

        def change(batch: object, table: str = table) -> None:
            link = LINKS.get(table)
            if link and dialect == "sqlite":
                batch.drop_constraint(link[1], type_="foreignkey")  # type: ignore[attr-defined]
            if table in NATURAL:
                name = NATURAL[table][1]
                batch.drop_index(f"ix_{table}_{name}")  # type: ignore[attr-defined]
                batch.create_unique_constraint(f"uq_{table}_{name}", [name])  # type: ignore[attr-defined]
            batch.drop_index(f"ix_{table}_id")  # type: ignore[attr-defined]
            batch.drop_constraint(f"pk_{table}", type_="primary")  # type: ignore[attr-defined]
            batch.create_primary_key(f"pk_{table}", ["id"])  # type: ignore[attr-defined]

        _rebuild(table, change)
    for child, (old, _new, cols, parent, _cols, _onupdate) in LINKS.items():

        def relink(batch: object, old: str = old, cols: list[str] = cols, to: str = parent) -> None:
            batch.create_foreign_key(old, to, [cols[1]], ["id"])  # type: ignore[attr-defined]

        _rebuild(child, relink)
