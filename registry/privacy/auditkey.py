"""The audit chain's key: a file outside the database, so no database login can re-chain the log.

Where the key lives (``key_path``), first match:

1. ``$LAIQU_AUDIT_KEY_FILE`` (the station service's config dir in a deployment);
2. SQLite: next to the database file, ``<file>.audit-key``;
3. PostgreSQL: ``/etc/laiqu/audit.key`` when it exists, else
   ``$XDG_CONFIG_HOME/laiqu/audit.key`` (``~/.config/laiqu/audit.key``).

An in-memory SQLite database gets a key of the process. The file holds 64 hex digits (32
random bytes), mode 0600, created with ``O_EXCL`` (``laiqu init``, or the first entry of an
empty chain); a station may make it 0640 for a group of the service and the admins. A key
file others may read, a group may write, or missing while the chain already has entries, is
refused (``AuditKeyError``): appending with a new key would hide nothing but
would break the chain for every later verification.

``registry.privacy.auditing.rekey_legacy`` (migration 0009) re-keys a chain written before
keys (plain SHA-256) once it verified.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.engine import URL

from registry.db.access_models import AuditEntry, AuditPending
from registry.errors import Refused

ENV_KEY_FILE = "LAIQU_AUDIT_KEY_FILE"
SYSTEM_KEY = Path("/etc/laiqu/audit.key")
INFO = "laiqu.audit.chainkey"  # DB-API connection info: the key, read once per connection
PROCESS_KEY = secrets.token_bytes(32)  # in-memory SQLite databases


class AuditKeyError(Refused):
    """The audit key file is missing, unreadable, malformed or readable by others."""


def key_path(url: URL) -> Path | None:
    """Where the chain key of the database at ``url`` lives (None: an in-memory database)."""
    explicit = os.environ.get(ENV_KEY_FILE)
    if explicit:
        return Path(explicit).expanduser()
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return None
        return Path(f"{Path(url.database).resolve()}.audit-key")
    if SYSTEM_KEY.exists():
        return SYSTEM_KEY
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "laiqu" / "audit.key"


def read_key(path: Path) -> bytes:
    """The key in ``path``; ``AuditKeyError`` when missing, malformed or not private."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError as exc:
        raise AuditKeyError(f"the audit key file {path} is missing") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditKeyError(f"the audit key file {path} cannot be read") from exc
    if mode & (stat.S_IWGRP | stat.S_IRWXO):
        raise AuditKeyError(f"the audit key file {path} is open to others (chmod 600)")
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise AuditKeyError(f"the audit key file {path} is not a key")
    return key


def create_key(path: Path) -> bool:
    """Write a new random key to ``path`` (mode 0600) unless one is there; True if written."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(32) + "\n")
    return True


def chain_key(conn: Connection) -> bytes:
    """The chain key of ``conn``'s database, read once per DB-API connection.

    A missing key file is created only while the chain is empty.
    """
    info = conn.connection.info
    if INFO not in info:
        path = key_path(conn.engine.url)
        if path is None:
            info[INFO] = PROCESS_KEY
        else:
            if not path.exists() and not _chain_has_entries(conn):
                create_key(path)
            info[INFO] = read_key(path)
    return bytes(info[INFO])


def _chain_has_entries(conn: Connection) -> bool:
    """Entries chained, or staged for the chainer (revision 0012), sealed with a key."""
    if conn.execute(select(AuditEntry.seq).limit(1)).first() is not None:
        return True
    if not conn.dialect.has_table(conn, "audit_pending"):
        return False
    return conn.execute(select(AuditPending.id).limit(1)).first() is not None


def seal(key: bytes, prev: str, body: str) -> str:
    """The keyed hash of an entry: HMAC-SHA-256 over the previous hash and its body."""
    return hmac.new(key, (prev + body).encode(), hashlib.sha256).hexdigest()


def legacy_seal(prev: str, body: str) -> str:
    """The hash of an entry written before revision 0009 (SHA-256, no key)."""
    return hashlib.sha256((prev + body).encode()).hexdigest()


def sign(key: bytes, fields: dict[str, Any]) -> str:
    """The HMAC of a checkpoint's fields (a key derived for checkpoints only)."""
    sub = hmac.new(key, b"laiqu audit checkpoint", hashlib.sha256).digest()
    body = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hmac.new(sub, body.encode(), hashlib.sha256).hexdigest()
