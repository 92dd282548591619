"""Users, roles, scopes, row-level security and the hash-chained audit log (issue #8).

On PostgreSQL, the same scoping the core enforces is enforced by row-level security for every
login that is not the tables' owner (the owner and superusers bypass it, so migrations and
the test suite's superuser see everything). Logins get their privileges from the group role
``laiqu_user`` (``laiqu user add --create-login``); the policies read the login's role and
scope from ``registry_users`` through SECURITY DEFINER functions keyed by ``current_user``.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

APPEND_ONLY = ("audit_log", "audit_subjects")
GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        "registry_users",
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("jurisdiction_code", sa.String(32), nullable=True),
        sa.Column("venue_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(100), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_users")),
        sa.UniqueConstraint("login", name=op.f("uq_registry_users_login")),
    )
    op.create_table(
        "managed_houses",
        sa.Column("house_id", sa.Uuid(), nullable=False),
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("house_id", "venue_id", name=op.f("pk_managed_houses")),
    )
    op.create_index(op.f("ix_managed_houses_venue_id"), "managed_houses", ["venue_id"])
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("terminal", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("action", sa.String(48), nullable=False),
        sa.Column("purpose", sa.String(300), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])
    op.create_table(
        "audit_subjects",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("id_hash", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("seq", "person_id", name=op.f("pk_audit_subjects")),
    )
    op.create_index("ix_audit_subjects_id_hash", "audit_subjects", ["id_hash"])
    op.create_index(op.f("ix_audit_subjects_person_id"), "audit_subjects", ["person_id"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "audit_key",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_key")),
    )
    op.execute(f"INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '{GENESIS}')")
    op.execute(f"INSERT INTO audit_key (id, key) VALUES (1, '{os.urandom(32).hex()}')")
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION laiqu_append_only()"
            )
        for statement in POSTGRES_SECURITY:
            op.execute(statement)
    else:
        for table in APPEND_ONLY:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_SECURITY_DOWN:
            op.execute(statement)
    for table in (
        "audit_key",
        "audit_head",
        "audit_subjects",
        "audit_log",
        "managed_houses",
        "registry_users",
    ):
        op.drop_table(table)


# --- PostgreSQL: the group role, privileges, scope functions and policies -------------------

# The scope of the login calling: SECURITY DEFINER so a policy can read registry_users and
# the link tables whatever the login may see itself.
FUNCTIONS = [
    """CREATE FUNCTION laiqu_users_exist() RETURNS boolean LANGUAGE sql STABLE
    SECURITY DEFINER SET search_path = public AS
    $$ SELECT EXISTS (SELECT 1 FROM registry_users) $$""",
    """CREATE FUNCTION laiqu_user_role(who text) RETURNS text LANGUAGE sql STABLE
    SECURITY DEFINER SET search_path = public AS
    $$ SELECT role FROM registry_users WHERE login = who AND active $$""",
    """CREATE FUNCTION laiqu_user_venue(who text) RETURNS uuid LANGUAGE sql STABLE
    SECURITY DEFINER SET search_path = public AS
    $$ SELECT venue_id FROM registry_users WHERE login = who AND active $$""",
    """CREATE FUNCTION laiqu_in_scope(who text, code text) RETURNS boolean LANGUAGE sql STABLE
    SECURITY DEFINER SET search_path = public AS
    $$ SELECT EXISTS (
         SELECT 1 FROM registry_users u
         LEFT JOIN jurisdictions s ON s.code = u.jurisdiction_code
         JOIN jurisdictions j ON j.code = $2
         WHERE u.login = $1 AND u.active AND u.role IN ('coordinator', 'analyst')
           AND j.path LIKE coalesce(s.path, '/') || '%') $$""",
    """CREATE FUNCTION laiqu_house_managed(who text, house uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS
    $$ SELECT EXISTS (SELECT 1 FROM managed_houses m JOIN registry_users u
         ON u.venue_id = m.venue_id AND u.login = $1 AND u.active AND u.role = 'intermediary'
         WHERE m.house_id = $2) $$""",
    """CREATE FUNCTION laiqu_person_visible(who text, person uuid) RETURNS boolean
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $$
    DECLARE u registry_users%ROWTYPE;
    BEGIN
      SELECT * INTO u FROM registry_users WHERE login = who AND active;
      IF NOT FOUND THEN RETURN false; END IF;
      IF u.role = 'admin' THEN RETURN true; END IF;
      IF u.role = 'desk' THEN
        RETURN EXISTS (SELECT 1 FROM stays WHERE person_id = person
                       AND venue_id = u.venue_id AND checked_out_at IS NULL);
      END IF;
      IF u.role = 'intermediary' THEN
        RETURN EXISTS (SELECT 1 FROM residences r JOIN managed_houses m
                       ON m.house_id = r.house_id AND m.venue_id = u.venue_id
                       WHERE r.person_id = person);
      END IF;
      IF u.role = 'coordinator' THEN
        RETURN EXISTS (SELECT 1 FROM stays WHERE person_id = person
                         AND laiqu_in_scope(who, jurisdiction_code))
            OR EXISTS (SELECT 1 FROM residences WHERE person_id = person
                         AND laiqu_in_scope(who, jurisdiction_code))
            OR EXISTS (SELECT 1 FROM employments WHERE person_id = person
                         AND laiqu_in_scope(who, jurisdiction_code))
            OR EXISTS (SELECT 1 FROM events WHERE person_id = person
                         AND laiqu_in_scope(who, jurisdiction_code));
      END IF;
      RETURN false;
    END $$""",
]

ADMIN = "laiqu_user_role(current_user) = 'admin'"
# A person shown by exact number (a card on the desk): ``laiqu.presented`` is the id key the
# use case is looking up in this transaction (registry.privacy.access.present).
PRESENTED = "id_key = current_setting('laiqu.presented', true)"
POLICIES: dict[str, str] = {
    "persons": f"{ADMIN} OR laiqu_person_visible(current_user, id) OR {PRESENTED}",
    "documents": f"{ADMIN} OR person_id IN (SELECT id FROM persons)",
    "venues": f"{ADMIN} OR id = laiqu_user_venue(current_user) "
    "OR laiqu_in_scope(current_user, jurisdiction_code)",
    "rooms": f"{ADMIN} OR venue_id IN (SELECT id FROM venues)",
    "stays": f"{ADMIN} OR (laiqu_user_role(current_user) = 'desk' "
    "AND venue_id = laiqu_user_venue(current_user)) "
    "OR laiqu_in_scope(current_user, jurisdiction_code)",
    "houses": f"{ADMIN} OR laiqu_in_scope(current_user, jurisdiction_code) "
    "OR laiqu_house_managed(current_user, id)",
    "residences": f"{ADMIN} OR laiqu_in_scope(current_user, jurisdiction_code) "
    "OR laiqu_house_managed(current_user, house_id)",
    "employers": f"{ADMIN} OR laiqu_in_scope(current_user, jurisdiction_code)",
    "employments": f"{ADMIN} OR laiqu_in_scope(current_user, jurisdiction_code)",
    "findings": f"{ADMIN} OR laiqu_in_scope(current_user, jurisdiction_code) "
    "OR (person_id IS NOT NULL AND laiqu_person_visible(current_user, person_id))",
    "permits": f"{ADMIN} OR laiqu_in_scope(current_user, jurisdiction_code)",
    "permit_endorsements": f"{ADMIN} OR laiqu_in_scope(current_user, jurisdiction_code)",
    "studies": f"{ADMIN} OR laiqu_in_scope(current_user, jurisdiction_code)",
    "managed_houses": f"{ADMIN} OR venue_id = laiqu_user_venue(current_user) "
    "OR laiqu_user_role(current_user) = 'coordinator'",
}
# Reads limited, inserts open to every registered login (the journal and the audit log).
SPLIT: dict[str, str] = {
    "events": f"{ADMIN} OR actor = current_user",
    "audit_log": ADMIN,
    "audit_subjects": ADMIN,
    "registry_users": f"{ADMIN} OR login = current_user",
}

POSTGRES_SECURITY = [
    """DO $$ BEGIN
         IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'laiqu_user') THEN
           CREATE ROLE laiqu_user NOLOGIN;
         END IF;
       END $$""",
    "GRANT USAGE ON SCHEMA public TO laiqu_user",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO laiqu_user",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
    "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO laiqu_user",
    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO laiqu_user",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO laiqu_user",
    "REVOKE INSERT, UPDATE, DELETE ON alembic_version, audit_key FROM laiqu_user",
    "REVOKE UPDATE, DELETE ON events, audit_log, audit_subjects FROM laiqu_user",
    "REVOKE INSERT, DELETE ON audit_head FROM laiqu_user",
    *FUNCTIONS,
    *[f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY" for t in [*POLICIES, *SPLIT]],
    *[
        f"CREATE POLICY {t}_scope ON {t} FOR ALL TO laiqu_user USING ({e}) WITH CHECK ({e})"
        for t, e in POLICIES.items()
    ],
    *[
        f"CREATE POLICY {t}_read ON {t} FOR SELECT TO laiqu_user USING ({e})"
        for t, e in SPLIT.items()
    ],
    *[
        f"CREATE POLICY {t}_append ON {t} FOR INSERT TO laiqu_user "
        "WITH CHECK (laiqu_user_role(current_user) IS NOT NULL)"
        for t in ("events", "audit_log", "audit_subjects")
    ],
    f"CREATE POLICY registry_users_admin ON registry_users FOR ALL TO laiqu_user "
    f"USING ({ADMIN}) WITH CHECK ({ADMIN})",
]

POSTGRES_SECURITY_DOWN = [
    *[f"DROP POLICY IF EXISTS {t}_scope ON {t}" for t in POLICIES],
    *[f"DROP POLICY IF EXISTS {t}_read ON {t}" for t in SPLIT],
    *[
        f"DROP POLICY IF EXISTS {t}_append ON {t}"
        for t in ("events", "audit_log", "audit_subjects")
    ],
    "DROP POLICY IF EXISTS registry_users_admin ON registry_users",
    *[f"ALTER TABLE {t} DISABLE ROW LEVEL SECURITY" for t in [*POLICIES, *SPLIT]],
    "DROP FUNCTION IF EXISTS laiqu_person_visible(text, uuid)",
    "DROP FUNCTION IF EXISTS laiqu_house_managed(text, uuid)",
    "DROP FUNCTION IF EXISTS laiqu_in_scope(text, text)",
    "DROP FUNCTION IF EXISTS laiqu_user_venue(text)",
    "DROP FUNCTION IF EXISTS laiqu_user_role(text)",
    "DROP FUNCTION IF EXISTS laiqu_users_exist()",
    "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM laiqu_user",
    "REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM laiqu_user",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
    "REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM laiqu_user",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM laiqu_user",
    "REVOKE USAGE ON SCHEMA public FROM laiqu_user",
]
