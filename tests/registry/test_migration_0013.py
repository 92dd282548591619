"""Migration 0013 upgrades an existing database: rows kept, void columns added, the outbox
triggers of the movement tables still there (SQLite must not rebuild the tables)."""

from __future__ import annotations

import sqlalchemy as sa

from registry.db.schema import current, upgrade


def test_0013_upgrades_a_database_at_0011(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as conn:  # back to 0011: the fresh template is at head
            if "voided_at" in {c["name"] for c in sa.inspect(conn).get_columns("stays")}:
                from alembic import command

                from registry.db.schema import alembic_config

                command.downgrade(alembic_config(engine), "0011")
        assert current(engine) == "0011"
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO jurisdictions (code, name, level, parent_code, path) "
                    "VALUES ('4403', '深圳市', 'city', NULL, '/4403/')"
                )
            )
        upgrade(engine)
        assert current(engine) != "0011"
        inspector = sa.inspect(engine)
        for table in ("stays", "residences"):
            columns = {c["name"] for c in inspector.get_columns(table)}
            assert {"voided_at", "voided_by", "void_reason"} <= columns
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT name FROM jurisdictions")).scalar() == "深圳市"
            if engine.dialect.name == "sqlite":
                triggers = set(
                    conn.execute(
                        sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                    ).scalars()
                )
                assert {"outbox_stays_insert", "outbox_stays_update"} <= triggers
                assert {"outbox_residences_insert", "outbox_residences_update"} <= triggers
            else:
                found = conn.execute(
                    sa.text(
                        "SELECT count(*) FROM pg_trigger WHERE tgname = 'outbox_capture' "
                        "AND tgrelid IN ('stays'::regclass, 'residences'::regclass)"
                    )
                ).scalar()
                assert found == 2
    finally:
        engine.dispose()
