"""API credentials of registry users (argon2 password hashes, revocable device tokens) for the
station service (issue #15). On PostgreSQL the scoped logins (``laiqu_user``) get no access to
them: only the service's own login reads credentials.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_passwords",
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=200), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("login", name=op.f("pk_api_passwords")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index("ix_api_tokens_login_device", "api_tokens", ["login", "device"])
    if op.get_bind().dialect.name == "postgresql":
        # 0005's default privileges would hand every new table to the scoped logins: the
        # credential hashes are for the station service's own login only.
        op.execute(
            """DO $$ BEGIN
                 IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'laiqu_user') THEN
                   REVOKE ALL ON api_passwords, api_tokens FROM laiqu_user;
                 END IF;
               END $$"""
        )


def downgrade() -> None:
    op.drop_index("ix_api_tokens_login_device", table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_table("api_passwords")
