"""What a card read is, as the core receives it from any driver.

Drivers (``drivers/``) import these; the core never imports a driver. A ``CardRead`` is the
decoded chip data of one presentation plus how it was captured (reader, SAM, time, photo
hash). Its repr masks the number and leaves out the address and the photo, so a read can be
logged without leaking them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Protocol, runtime_checkable

from registry.identity.ids import DocType, mask

LONG_TERM = None  # valid_to of a 长期 document


@dataclass(frozen=True)
class CardRead:
    """Decoded data of one identity card presented at a reader."""

    doc_type: DocType
    name: str  # Chinese name; for a 2017 foreign card without one, the English name
    gender: str  # GB/T 2261.1 code: 0, 1, 2, 9
    birth_date: date
    number: str = field(repr=False)
    issuer: str = ""
    valid_from: date | None = None
    valid_to: date | None = None  # None means 长期 (long-term)
    ethnicity: str | None = None  # GB/T 3304 code, resident cards only
    address: str | None = field(default=None, repr=False)
    english_name: str | None = None
    nationality: str | None = None  # ISO 3166 alpha-3 (foreign cards)
    extras: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    photo: bytes | None = field(default=None, repr=False)  # raw 1024-byte WLT, never decoded
    fingerprints: bytes | None = field(default=None, repr=False)  # opaque templates
    reader_id: str | None = None
    sam_id: str | None = None
    chip_serial: str | None = None
    read_at: datetime | None = None

    @property
    def long_term(self) -> bool:
        return self.valid_to is None

    @property
    def photo_sha256(self) -> str | None:
        return hashlib.sha256(self.photo).hexdigest() if self.photo else None

    @property
    def masked_number(self) -> str:
        return mask(self.number)

    def expired_on(self, day: date) -> bool:
        """Whether the document was no longer valid on ``day`` (valid to is inclusive)."""
        return self.valid_to is not None and self.valid_to < day

    def __repr__(self) -> str:
        return (
            f"CardRead({self.doc_type.value}, {self.masked_number}, {self.name!r}, "
            f"reader={self.reader_id!r})"
        )


@runtime_checkable
class CardReader(Protocol):
    """A desk reader as the core sees it: one ``CardRead`` per presentation."""

    def read(self, timeout: float | None = None) -> CardRead | None:
        """Wait up to ``timeout`` seconds for a newly presented card; None if none came."""
        ...

    def watch(self) -> Iterator[CardRead]:
        """Yield each presented card once, for as long as the reader is open."""
        ...

    def close(self) -> None: ...
