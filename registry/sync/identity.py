"""The identity of an uploaded person, rebuilt for the station's own ``people.register``.

A chip-read document becomes a ``CardRead`` again (so the station's person–certificate
matching sees what the chip said), a typed one a ``TypedIdentity``.
"""

from __future__ import annotations

from typing import Any

from registry.db.models import Document, Person
from registry.identity.cards import CardRead
from registry.identity.ids import DocType
from registry.people.registration import Identity, TypedIdentity
from registry.sync.payload import from_dict


def rebuild(person: dict[str, Any], document: dict[str, Any] | None) -> Identity:
    p = from_dict(Person, person)
    d = from_dict(Document, document) if document else {}
    if d.get("capture") == "chip" and d.get("card_birth_date"):
        return CardRead(
            doc_type=DocType(d["doc_type"]),
            name=d.get("card_name") or p["name"],
            gender=d.get("card_gender") or p["gender"],
            birth_date=d["card_birth_date"],
            number=d["number"],
            issuer=d.get("issuer") or "",
            valid_from=d.get("valid_from"),
            valid_to=d.get("valid_to"),
            ethnicity=d.get("card_ethnicity"),
            address=d.get("card_address"),
            english_name=p.get("english_name"),
            nationality=p.get("nationality"),
            extras=d.get("extras") or {},
            photo=d.get("photo"),
            reader_id=d.get("reader_id"),
            sam_id=d.get("sam_id"),
            chip_serial=d.get("chip_serial"),
            read_at=d.get("read_at"),
        )
    return TypedIdentity(
        number=p["number"],
        name=p["name"],
        doc_type=p["doc_type"],
        gender=p.get("gender"),
        birth_date=p.get("birth_date"),
        ethnicity=p.get("ethnicity"),
        nationality=p.get("nationality"),
        english_name=p.get("english_name"),
        hukou_address=p.get("hukou_address"),
        phone=p.get("phone"),
        valid_to=d.get("valid_to"),
    )
