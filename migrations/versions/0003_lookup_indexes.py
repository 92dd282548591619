"""Lookup indexes: ID number prefix and suffix, name, pinyin, initials, phone, addresses

PostgreSQL: pg_trgm GIN indexes for fragments (name, pinyin, initials, household address,
house address), ``varchar_pattern_ops`` B-trees for exact and prefix look-ups whatever the
database collation, and an expression index on ``reverse(number)`` for suffixes (the last 6
digits). The database needs a UTF-8 ``LC_CTYPE``: with ``C``, Chinese text has no trigrams.

SQLite: FTS5 tables with the trigram tokenizer (SQLite 3.34+) kept in sync with triggers;
their rowid is the base table's rowid at insert time and each row carries the base id, so a
hit is always joined back by id. After a VACUUM (which may renumber rowids of tables without
an INTEGER PRIMARY KEY) run ``registry.lookup.search.rebuild_fts``.

These objects are dialect-specific and live only here; ``migrations/env.py`` leaves them out
of ``alembic check`` by name (``*_lookup``, ``*_trgm`` indexes and ``*_fts*`` tables).

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-23 17:10:00
"""

from __future__ import annotations

import sqlite3

from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None

TRGM = {
    "ix_persons_name_trgm": ("persons", "name"),
    "ix_persons_name_pinyin_trgm": ("persons", "name_pinyin"),
    "ix_persons_name_initials_trgm": ("persons", "name_initials"),
    "ix_persons_hukou_address_trgm": ("persons", "hukou_address"),
    "ix_houses_address_trgm": ("houses", "address"),
}
POSTGRES = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    *(
        f"CREATE INDEX {name} ON {table} USING gin ({column} gin_trgm_ops)"
        for name, (table, column) in TRGM.items()
    ),
    "CREATE INDEX ix_persons_name_lookup ON persons (name varchar_pattern_ops)",
    "CREATE INDEX ix_persons_number_lookup ON persons (number varchar_pattern_ops)",
    "CREATE INDEX ix_persons_number_rev_lookup ON persons (reverse(number) text_pattern_ops)",
    "CREATE INDEX ix_persons_phone_lookup ON persons (phone varchar_pattern_ops)",
]
POSTGRES_DOWN = [
    *(f"DROP INDEX IF EXISTS {name}" for name in TRGM),
    "DROP INDEX IF EXISTS ix_persons_name_lookup",
    "DROP INDEX IF EXISTS ix_persons_number_lookup",
    "DROP INDEX IF EXISTS ix_persons_number_rev_lookup",
    "DROP INDEX IF EXISTS ix_persons_phone_lookup",
]

PERSON_FTS_COLUMNS = "name, name_pinyin, name_initials, hukou_address, number"
SQLITE = [
    "CREATE INDEX ix_persons_name_lookup ON persons (name)",
    "CREATE VIRTUAL TABLE persons_fts USING fts5("
    f"person_id UNINDEXED, {PERSON_FTS_COLUMNS}, tokenize='trigram')",
    "CREATE VIRTUAL TABLE houses_fts USING fts5("
    "house_id UNINDEXED, address, tokenize='trigram')",
    f"INSERT INTO persons_fts (rowid, person_id, {PERSON_FTS_COLUMNS}) "
    f"SELECT rowid, id, {PERSON_FTS_COLUMNS} FROM persons",
    "INSERT INTO houses_fts (rowid, house_id, address) SELECT rowid, id, address FROM houses",
    "CREATE TRIGGER persons_fts_insert AFTER INSERT ON persons BEGIN "
    f"INSERT INTO persons_fts (rowid, person_id, {PERSON_FTS_COLUMNS}) VALUES "
    "(new.rowid, new.id, new.name, new.name_pinyin, new.name_initials, new.hukou_address, "
    "new.number); END",
    "CREATE TRIGGER persons_fts_update AFTER UPDATE OF id, name, name_pinyin, name_initials, "
    "hukou_address, number ON persons BEGIN "
    "DELETE FROM persons_fts WHERE rowid = old.rowid; "
    f"INSERT INTO persons_fts (rowid, person_id, {PERSON_FTS_COLUMNS}) VALUES "
    "(new.rowid, new.id, new.name, new.name_pinyin, new.name_initials, new.hukou_address, "
    "new.number); END",
    "CREATE TRIGGER persons_fts_delete AFTER DELETE ON persons BEGIN "
    "DELETE FROM persons_fts WHERE rowid = old.rowid; END",
    "CREATE TRIGGER houses_fts_insert AFTER INSERT ON houses BEGIN "
    "INSERT INTO houses_fts (rowid, house_id, address) VALUES (new.rowid, new.id, new.address); "
    "END",
    "CREATE TRIGGER houses_fts_update AFTER UPDATE OF id, address ON houses BEGIN "
    "DELETE FROM houses_fts WHERE rowid = old.rowid; "
    "INSERT INTO houses_fts (rowid, house_id, address) VALUES (new.rowid, new.id, new.address); "
    "END",
    "CREATE TRIGGER houses_fts_delete AFTER DELETE ON houses BEGIN "
    "DELETE FROM houses_fts WHERE rowid = old.rowid; END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS persons_fts_insert",
    "DROP TRIGGER IF EXISTS persons_fts_update",
    "DROP TRIGGER IF EXISTS persons_fts_delete",
    "DROP TRIGGER IF EXISTS houses_fts_insert",
    "DROP TRIGGER IF EXISTS houses_fts_update",
    "DROP TRIGGER IF EXISTS houses_fts_delete",
    "DROP TABLE IF EXISTS persons_fts",
    "DROP TABLE IF EXISTS houses_fts",
    "DROP INDEX IF EXISTS ix_persons_name_lookup",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        statements = POSTGRES
    elif dialect == "sqlite":
        if sqlite3.sqlite_version_info < (3, 34, 0):
            raise RuntimeError(
                f"SQLite {sqlite3.sqlite_version} has no FTS5 trigram tokenizer: 3.34 or later "
                "is needed for name and address search"
            )
        statements = SQLITE
    else:  # pragma: no cover - laiqu runs on PostgreSQL and SQLite only
        raise RuntimeError(f"no lookup indexes for {dialect}")
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in POSTGRES_DOWN if dialect == "postgresql" else SQLITE_DOWN:
        op.execute(statement)
