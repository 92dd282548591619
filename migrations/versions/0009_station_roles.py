"""Database roles of a station: the service's own role, SELECT-only logins, policies that trust
nothing the client sets (issue #15).

From this revision the station service is the only writer; field devices (desks,
intermediaries) hold API credentials, never a database login. PostgreSQL only (SQLite has no
roles; on a desk the identity is the operating-system account, ``cli.app``).

Roles (cluster-wide, created if missing; the grants are per database):

- ``laiqu_service`` (NOLOGIN group; the service connects as a login granted it, or the
  deployment runs ``ALTER ROLE laiqu_service LOGIN PASSWORD …``): SELECT, INSERT, UPDATE,
  DELETE on every table and USAGE on the sequences, except: ``audit_log``,
  ``audit_subjects`` and ``events`` are SELECT/INSERT only (append-only, and triggers refuse
  UPDATE/DELETE anyway), ``audit_head`` SELECT/UPDATE, ``audit_key`` and ``alembic_version``
  SELECT only; never TRUNCATE. A ``*_service`` policy (USING/WITH CHECK true) on every table
  with row-level security lets it past the scopes: the service checks the caller's role and
  scope in the core (``registry.privacy.access``) and audits every request. Admin logins
  made by ``laiqu user add --create-login`` are members of it.
- ``laiqu_reader`` (NOLOGIN group of the optional read-only logins of coordinators and
  analysts, BI): SELECT only, on ``READABLE`` tables only; no INSERT/UPDATE/DELETE/TRUNCATE
  anywhere, no sequence. Every table it can read has row-level security and a ``*_reader``
  policy; each policy calls the ``laiqu_my_*`` functions below, which read the scope of the
  *session's* login (``session_user``) from ``registry_users``: a coordinator sees its
  jurisdiction subtree (places, the persons with a stay, residence, job or journal entry
  there); an analyst the same places and records but no person or document row; any other
  login nothing. No policy reads a setting the client can set (``laiqu.presented`` is gone).
- ``laiqu_user`` (the group of revision 0005): loses every table and sequence privilege and
  becomes a member of ``laiqu_reader``; logins of desk and intermediary users are taken out
  of it (they keep no database privilege at all).

SECURITY DEFINER functions (``search_path`` fixed to ``pg_catalog, public, pg_temp``) take
no login argument: they answer for the calling login only. Inside such a function
``current_user`` is its owner, so they read ``session_user``, the login that connected (a
``SET ROLE`` to ``laiqu_reader`` or ``laiqu_user`` finds no registry user: nothing). EXECUTE
is revoked from PUBLIC and granted to ``laiqu_reader`` (``laiqu_users_exist()`` stays public).
0005's ``laiqu_user_role(who)``, ``laiqu_in_scope(who, …)`` … are dropped.

The audit chain's key is no longer in the database (``registry.privacy.auditkey``: a key
file); an existing unkeyed chain is re-keyed here once it verified (refused otherwise). The
``audit_key`` table keeps only the key of the subjects' number hashes (who-viewed), readable
by the owner and ``laiqu_service`` alone.

Deployment: ``laiqu init`` as the owner; ``ALTER ROLE laiqu_service LOGIN PASSWORD …`` (or
``CREATE ROLE svc LOGIN IN ROLE laiqu_service``) for the service; the service and the admins'
command line share one key file (``LAIQU_AUDIT_KEY_FILE`` or ``/etc/laiqu/audit.key``; mode
0600, or 0640 for their group).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import importlib

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

PATH = "SET search_path = pg_catalog, public, pg_temp"
FUNCTIONS = {
    "laiqu_my_role()": f"""CREATE FUNCTION laiqu_my_role() RETURNS text LANGUAGE sql STABLE
    SECURITY DEFINER {PATH} AS
    $$ SELECT role FROM registry_users WHERE login = session_user AND active $$""",
    # The subtree path of a coordinator's or analyst's jurisdiction: '/' (the whole registry)
    # only for a user without one; a jurisdiction that is not there gives NULL (nothing).
    "laiqu_my_path()": f"""CREATE FUNCTION laiqu_my_path() RETURNS text LANGUAGE sql STABLE
    SECURITY DEFINER {PATH} AS
    $$ SELECT CASE WHEN u.jurisdiction_code IS NULL THEN '/' ELSE j.path END
       FROM registry_users u
       LEFT JOIN jurisdictions j ON j.code = u.jurisdiction_code
       WHERE u.login = session_user AND u.active AND u.role IN ('coordinator', 'analyst') $$""",
    # A prefix comparison, not LIKE: a code's characters are never a pattern.
    "laiqu_in_my_scope(text)": f"""CREATE FUNCTION laiqu_in_my_scope(code text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER {PATH} AS
    $$ SELECT EXISTS (SELECT 1 FROM jurisdictions j WHERE j.code = $1
         AND starts_with(j.path, laiqu_my_path())) $$""",
    "laiqu_person_in_my_scope(uuid)": f"""CREATE FUNCTION laiqu_person_in_my_scope(person uuid)
    RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER {PATH} AS
    $$ SELECT laiqu_my_role() = 'coordinator' AND (
         EXISTS (SELECT 1 FROM stays WHERE person_id = $1
                 AND laiqu_in_my_scope(jurisdiction_code))
      OR EXISTS (SELECT 1 FROM residences WHERE person_id = $1
                 AND laiqu_in_my_scope(jurisdiction_code))
      OR EXISTS (SELECT 1 FROM employments WHERE person_id = $1
                 AND laiqu_in_my_scope(jurisdiction_code))
      OR EXISTS (SELECT 1 FROM events WHERE person_id = $1
                 AND laiqu_in_my_scope(jurisdiction_code))) $$""",
}
IN_SCOPE = "laiqu_in_my_scope(jurisdiction_code)"
REGISTERED = "laiqu_my_role() IN ('coordinator', 'analyst')"
# What a read-only login may SELECT, and the rows it sees.
READABLE: dict[str, str] = {
    "alembic_version": "true",  # which revision: the command line checks it first
    "jurisdictions": REGISTERED,
    "rules": REGISTERED,
    "registry_users": "login = session_user",
    "persons": "laiqu_person_in_my_scope(id)",
    "documents": "person_id IN (SELECT id FROM persons)",
    "venues": IN_SCOPE,
    "rooms": "venue_id IN (SELECT id FROM venues)",
    "stays": IN_SCOPE,
    "houses": IN_SCOPE,
    "managed_houses": "house_id IN (SELECT id FROM houses)",
    "residences": IN_SCOPE,
    "employers": IN_SCOPE,
    "employments": IN_SCOPE,
    "findings": IN_SCOPE,
    "permits": IN_SCOPE,
    "permit_endorsements": IN_SCOPE,
    "studies": IN_SCOPE,
    "events": IN_SCOPE,
}
# Row-level security on (0005's tables and the two readable ones 0005 left open).
RLS = (*READABLE, "audit_log", "audit_subjects")
APPEND_ONLY = ("audit_log", "audit_subjects", "events")
OLD = importlib.import_module("migrations.versions.0005_access_and_audit")


def _create_role(name: str) -> str:
    return f"""DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{name}') THEN
        CREATE ROLE {name} NOLOGIN;
      END IF; END $$"""


# Logins of desk and intermediary users leave laiqu_user: no database privilege at all.
DESK_LOGINS_OUT = """DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT u.login FROM registry_users u JOIN pg_roles p ON p.rolname = u.login
           WHERE u.role IN ('desk', 'intermediary')
             AND pg_has_role(u.login, 'laiqu_user', 'MEMBER') LOOP
    EXECUTE format('REVOKE laiqu_user FROM %I', r.login);
  END LOOP; END $$"""

UP = [
    # 0005's policies and login-argument functions go.
    *[s for s in OLD.POSTGRES_SECURITY_DOWN[:-5] if "laiqu_users_exist" not in s],
    "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM laiqu_user, PUBLIC",
    "REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM laiqu_user, PUBLIC",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
    "REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM laiqu_user",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM laiqu_user",
    "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
    _create_role("laiqu_service"),
    _create_role("laiqu_reader"),
    "GRANT USAGE ON SCHEMA public TO laiqu_service, laiqu_reader",
    # The service: every write, past the scopes, except what the audit needs to stay true.
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO laiqu_service",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
    "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO laiqu_service",
    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO laiqu_service",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO laiqu_service",
    f"REVOKE UPDATE, DELETE ON {', '.join(APPEND_ONLY)} FROM laiqu_service",
    "REVOKE INSERT, DELETE ON audit_head FROM laiqu_service",
    "REVOKE INSERT, UPDATE, DELETE ON audit_key, alembic_version FROM laiqu_service",
    # The readers: SELECT on the readable tables, under policies keyed by session_user.
    *FUNCTIONS.values(),
    *[f"REVOKE EXECUTE ON FUNCTION {f} FROM PUBLIC" for f in FUNCTIONS],
    *[f"GRANT EXECUTE ON FUNCTION {f} TO laiqu_reader" for f in FUNCTIONS],
    f"ALTER FUNCTION laiqu_users_exist() {PATH}",
    f"ALTER FUNCTION laiqu_outbox_capture() {PATH}",
    "REVOKE EXECUTE ON FUNCTION laiqu_outbox_capture() FROM PUBLIC",
    f"GRANT SELECT ON {', '.join(READABLE)} TO laiqu_reader",
    *[f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY" for t in RLS],
    *[
        f"CREATE POLICY {t}_service ON {t} FOR ALL TO laiqu_service USING (true) WITH CHECK (true)"
        for t in RLS
    ],
    *[
        f"CREATE POLICY {t}_reader ON {t} FOR SELECT TO laiqu_reader USING ({e})"
        for t, e in READABLE.items()
    ],
    "GRANT laiqu_reader TO laiqu_user",
    DESK_LOGINS_OUT,
]

DOWN = [
    *[f"DROP POLICY IF EXISTS {t}_reader ON {t}" for t in READABLE],
    *[f"DROP POLICY IF EXISTS {t}_service ON {t}" for t in RLS],
    *[f"ALTER TABLE {t} DISABLE ROW LEVEL SECURITY" for t in RLS],
    "REVOKE laiqu_reader FROM laiqu_user",
    *[f"DROP FUNCTION IF EXISTS {f}" for f in reversed(FUNCTIONS)],
    "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM laiqu_service, laiqu_reader",
    "REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM laiqu_service",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
    "REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM laiqu_service",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
    "REVOKE USAGE, SELECT ON SEQUENCES FROM laiqu_service",
    "REVOKE USAGE ON SCHEMA public FROM laiqu_service, laiqu_reader",
    "GRANT EXECUTE ON FUNCTION laiqu_outbox_capture() TO PUBLIC",
    # 0005's grants, functions and policies again (the roles stay: they are cluster-wide).
    *[
        s
        for s in OLD.POSTGRES_SECURITY
        if not s.startswith("DO $$") and "laiqu_users_exist()" not in s
    ],
]


def upgrade() -> None:
    from registry.privacy import auditing

    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for statement in UP:
            op.execute(statement)
    auditing.rekey_legacy(bind)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in DOWN:
            op.execute(statement)
