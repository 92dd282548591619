"""Exporting persons, houses and employers to CSV within the caller's scope, masked, formula-safe,
and audited with the persons in the file."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from registry.context import Context
from registry.db.models import Employer, House, Person
from registry.exchange.csvfiles import CsvError, neutralise
from registry.identity import text
from registry.identity.ids import mask
from registry.privacy import access, audit
from registry.progress import STEP, Progress


def export_rows(
    session: Session,
    kind: str,
    *,
    reveal: bool = False,
    jurisdiction: str | None = None,
    touched: list[uuid.UUID] | None = None,
) -> tuple[list[str], Iterator[list[str]]]:
    """Header and neutralised rows of persons, houses or employers (numbers masked).

    Only what the acting user may see is exported; the persons written are added to
    ``touched`` (for the audit log: who was in the file).
    """
    who = access.principal(session)
    seen = touched if touched is not None else []
    show = (lambda n: n) if reveal else mask
    if kind == "persons":
        header = [
            "id_number",
            "doc_type",
            "name",
            "gender",
            "birth_date",
            "ethnicity",
            "nationality",
            "english_name",
            "phone",
            "category",
            "hukou_region",
        ]
        query: Any = (
            select(Person)
            .where(access.persons_clause(session, who, Person.id))
            .order_by(Person.name_pinyin, Person.number)
        )

        def person_row(p: Person) -> list[object]:
            seen.append(p.id)
            phone = p.phone if reveal else (mask(p.phone) if p.phone else None)
            return [
                show(p.number),
                p.doc_type,
                p.name,
                p.gender,
                p.birth_date,
                p.ethnicity,
                p.nationality,
                p.english_name,
                phone,
                p.category,
                p.hukou_region,
            ]

        rows = (person_row(p) for p in session.scalars(query))
    elif kind == "houses":
        header = [
            "id",
            "address",
            "jurisdiction",
            "door_plate",
            "use",
            "rooms",
            "capacity",
            "filing_number",
            "pledge_signed",
            "landlord",
        ]
        landlord = aliased(Person)
        query = (
            select(House, landlord.number)
            .outerjoin(landlord, landlord.id == House.landlord_id)
            .where(access.places_clause(who, House.jurisdiction_code))
            .order_by(House.jurisdiction_code, House.address)
        )
        if jurisdiction:
            query = query.where(House.jurisdiction_code.in_(_codes(session, jurisdiction)))
        rows = (
            [
                h.id,
                h.address,
                h.jurisdiction_code,
                h.door_plate,
                h.use,
                h.rooms,
                h.capacity,
                h.filing_number,
                int(h.pledge_signed),
                show(n) if n else None,
            ]
            for h, n in session.execute(query)
        )
    else:
        header = [
            "id",
            "name",
            "uscc",
            "jurisdiction",
            "headcount",
            "industry",
            "address",
            "registered",
        ]
        query = (
            select(Employer)
            .where(access.places_clause(who, Employer.jurisdiction_code))
            .order_by(Employer.jurisdiction_code, Employer.name)
        )
        if jurisdiction:
            query = query.where(Employer.jurisdiction_code.in_(_codes(session, jurisdiction)))
        rows = (
            [
                e.id,
                e.name,
                e.uscc,
                e.jurisdiction_code,
                e.headcount,
                e.industry,
                e.address,
                int(e.registered),
            ]
            for e in session.scalars(query)
        )
    return header, ([neutralise(_plain(v)) for v in row] for row in rows)


def _codes(session: Session, jurisdiction: str) -> Any:
    from registry.db.tree import subtree

    return subtree(session, jurisdiction)


def _plain(value: object) -> object:
    if isinstance(value, uuid.UUID | date):
        return str(value)
    return value




class Unencodable(CsvError):
    """Records whose text the chosen encoding cannot hold (GBK has no ``𠮷``, no ``䶮``).

    ``records``: one label each, masked number (or id) and name or address, and the
    characters that do not fit; the message names the first five and suggests GB18030,
    which holds every Unicode character.
    """

    def __init__(self, encoding: str, records: list[str]) -> None:
        self.encoding, self.records = encoding, records
        more = f"等 {len(records)} 条记录" if len(records) > 5 else ""
        super().__init__(
            f"{encoding} 编码无法表示这些记录中的字符：{'；'.join(records[:5])}{more}。"
            "未导出任何内容：请改用 --encoding gb18030（可表示全部汉字）或 utf-8-sig"
        )


# Which cells name a record of each kind in an export row: (key cell, label cell).
_LABEL_CELLS = {"persons": (0, 2), "houses": (0, 1), "employers": (0, 1)}


def _unencodable(kind: str, row: list[str], encoding: str) -> str | None:
    """A label of the record in ``row`` if a cell cannot be encoded, else None."""
    missing: list[str] = []
    for cell in row:
        try:
            cell.encode(encoding)
        except UnicodeEncodeError:
            missing += [c for c in cell if not _encodable(c, encoding) and c not in missing]
    if not missing:
        return None
    key, label = _LABEL_CELLS[kind]
    who = mask(row[key]) if kind == "persons" else row[key]
    return f"{who} {text.shown(row[label])}（{''.join(missing)}）"


def _encodable(char: str, encoding: str) -> bool:
    try:
        char.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def export_file(
    session: Session,
    ctx: Context,
    kind: str,
    stream: TextIO,
    *,
    full_ids: bool = False,
    jurisdiction: str | None = None,
    progress: Progress | None = None,
) -> int:
    """The use case ``laiqu export KIND --out FILE``: the rows the user may see written to
    ``stream`` as CSV (header first), numbers masked unless ``full_ids`` (which needs the
    reveal permission); audited as an export with every person in the file.

    Every cell is checked against the stream's encoding first: once a record cannot be
    encoded nothing more is written and ``Unencodable`` names every such record (the caller
    writes to a temporary file, ``csvfiles.written_whole``, so no part of it remains).
    ``progress(written, 0)`` every ``STEP`` rows (the total is not known in advance).

    Returns the number of rows written. Raises ``OutOfScope``, ``NotFound``, ``Unencodable``.
    """
    ctx = access.require(session, ctx, "export")
    if full_ids:
        access.require(session, ctx, "person.reveal")
    touched: list[uuid.UUID] = []
    header, rows = export_rows(
        session, kind, reveal=full_ids, jurisdiction=jurisdiction, touched=touched
    )
    encoding = getattr(stream, "encoding", None) or "utf-8"
    writer = csv.writer(stream)
    writer.writerow(header)
    count = 0
    unencodable: list[str] = []
    for row in rows:
        if (record := _unencodable(kind, row, encoding)) is not None:
            unencodable.append(record)
        if not unencodable:  # after the first, nothing more is written: the file is refused
            writer.writerow(row)
        count += 1
        if progress is not None and count % STEP == 0:
            progress(count, 0)
    if unencodable:
        raise Unencodable(encoding, unencodable)
    if progress is not None:
        progress(count, count)
    audit.note(
        session,
        ctx,
        "export",
        f"export.{kind}",
        persons=touched,
        rows=count,
        full_ids=full_ids,
        jurisdiction=jurisdiction,
    )
    return count
