"""Names searched as read: the name key indexed, pinyin read per surname (issue 18).

Items 1 and 2:

- ``persons.name`` is compared and searched as its key (``registry.identity.names.key``:
  the middle-dot variants as one dot, no white space) through expression indexes on the key
  instead of the name: PostgreSQL a ``text_pattern_ops`` B-tree (exact and prefix) and a
  pg_trgm GIN index (fragments); SQLite a B-tree on the expression and the ``name`` column
  of ``persons_fts`` filled with the key by its triggers. The name itself stays as read.
- ``name_pinyin`` and ``name_initials`` are recomputed: the surname is now read with its
  surname readings (查 zha, 单 shan, compound surnames together) and nothing is cut from it.

(A PostgreSQL database whose ``LC_CTYPE`` gives pg_trgm no trigrams for Chinese is refused
before any migration runs: ``registry.db.schema.require_trigrams`` in ``migrations/env.py``.)

The key expression comes from ``registry.identity.names.key_sql``: the search queries spell
the same expression, which is what lets each engine use these indexes.

Revision ID: 0015
Revises: 0014 (after it on purpose: 0014 rebuilds ``persons`` on SQLite, and a rebuild keeps
no expression index, as SQLAlchemy cannot reflect one)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

BATCH = 2000
FTS_COLUMNS = "person_id, name, name_pinyin, name_initials, hukou_address, number"


def _fts_triggers(name_value: str) -> list[str]:
    values = f"new.rowid, new.id, {name_value}, new.name_pinyin, new.name_initials, "
    values += "new.hukou_address, new.number"
    return [
        "DROP TRIGGER IF EXISTS persons_fts_insert",
        "DROP TRIGGER IF EXISTS persons_fts_update",
        "CREATE TRIGGER persons_fts_insert AFTER INSERT ON persons BEGIN "
        f"INSERT INTO persons_fts (rowid, {FTS_COLUMNS}) VALUES ({values}); END",
        "CREATE TRIGGER persons_fts_update AFTER UPDATE OF id, name, name_pinyin, "
        "name_initials, hukou_address, number ON persons BEGIN "
        "DELETE FROM persons_fts WHERE rowid = old.rowid; "
        f"INSERT INTO persons_fts (rowid, {FTS_COLUMNS}) VALUES ({values}); END",
        "DELETE FROM persons_fts",
        f"INSERT INTO persons_fts (rowid, {FTS_COLUMNS}) SELECT rowid, id, "
        f"{name_value.replace('new.', '')}, name_pinyin, name_initials, hukou_address, number "
        "FROM persons",
    ]


def _statements(dialect: str, *, up: bool) -> list[str]:
    from registry.identity.names import key_sql

    if dialect == "postgresql":
        key = key_sql("name", "postgresql")
        if up:
            return [
                "DROP INDEX IF EXISTS ix_persons_name_lookup",
                "DROP INDEX IF EXISTS ix_persons_name_trgm",
                f"CREATE INDEX ix_persons_name_key_lookup ON persons (({key}) text_pattern_ops)",
                "CREATE INDEX ix_persons_name_key_trgm ON persons "
                f"USING gin (({key}) gin_trgm_ops)",
            ]
        return [
            "DROP INDEX IF EXISTS ix_persons_name_key_lookup",
            "DROP INDEX IF EXISTS ix_persons_name_key_trgm",
            "CREATE INDEX ix_persons_name_lookup ON persons (name varchar_pattern_ops)",
            "CREATE INDEX ix_persons_name_trgm ON persons USING gin (name gin_trgm_ops)",
        ]
    key = key_sql("new.name", "sqlite")
    if up:
        return [
            "DROP INDEX IF EXISTS ix_persons_name_lookup",
            f"CREATE INDEX ix_persons_name_key_lookup ON persons ({key_sql('name', 'sqlite')})",
            *_fts_triggers(key),
        ]
    return [
        "DROP INDEX IF EXISTS ix_persons_name_key_lookup",
        "CREATE INDEX ix_persons_name_lookup ON persons (name)",
        *_fts_triggers("new.name"),
    ]


def _recompute_pinyin() -> None:
    """Store the pinyin forms of every named person again (only the rows that change)."""
    from registry.identity.names import forms

    conn = op.get_bind()
    persons = sa.table(
        "persons",
        sa.column("id", sa.Uuid()),
        sa.column("name", sa.String()),
        sa.column("name_pinyin", sa.String()),
        sa.column("name_initials", sa.String()),
    )
    update = (
        sa.update(persons)
        .where(persons.c.id == sa.bindparam("pid"))
        .values(name_pinyin=sa.bindparam("full"), name_initials=sa.bindparam("initials"))
    )
    rows = conn.execute(
        sa.select(persons.c.id, persons.c.name, persons.c.name_pinyin, persons.c.name_initials)
        .where(persons.c.name != "")
        .order_by(persons.c.id)
    ).all()
    changes = []
    for pid, name, full, initials in rows:
        new_full, new_initials = forms(name)
        if (new_full, new_initials) != (full, initials):
            changes.append({"pid": pid, "full": new_full, "initials": new_initials})
    for i in range(0, len(changes), BATCH):
        conn.execute(update, changes[i : i + BATCH])


def upgrade() -> None:
    _recompute_pinyin()
    for statement in _statements(op.get_bind().dialect.name, up=True):
        op.execute(statement)


def downgrade() -> None:
    for statement in _statements(op.get_bind().dialect.name, up=False):
        op.execute(statement)
