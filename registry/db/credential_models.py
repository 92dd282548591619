"""Tables of issue #15: API credentials of registry users for the station service.

A user has at most one password (an argon2id hash, argon2-cffi's ``PasswordHasher``) and any
number of device tokens. A token is shown once when issued; only the SHA-256 of it is kept
(a 32-byte random secret needs no slow hash: it cannot be guessed from a dictionary), so a
request finds its token with one indexed probe. Revoking a token keeps the row (who, when).
Small reference tables: no jurisdiction code, never distributed.
"""

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from registry.db.base import Base, HasId, UTCDateTime


class ApiPassword(Base):
    """The password a registry user signs in with over HTTP Basic (argon2id hash)."""

    __tablename__ = "api_passwords"

    login: Mapped[str] = mapped_column(String(64), primary_key=True)
    hash: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)
    set_by: Mapped[str] = mapped_column(String(64))


class ApiToken(HasId, Base):
    """A device token (``Authorization: Bearer``): SHA-256 of the secret, never the secret."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_login_device", "login", "device"),)

    login: Mapped[str] = mapped_column(String(64))
    device: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

