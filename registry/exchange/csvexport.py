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
from registry.exchange.csvfiles import neutralise
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
    from registry.matching.checks import subtree

    return subtree(session, jurisdiction)


def _plain(value: object) -> object:
    if isinstance(value, uuid.UUID | date):
        return str(value)
    return value




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

    ``progress(written, 0)`` every ``STEP`` rows (the total is not known in advance). Returns
    the number of rows written. Raises ``OutOfScope`` and ``NotFound``.
    """
    ctx = access.require(session, ctx, "export")
    if full_ids:
        access.require(session, ctx, "person.reveal")
    touched: list[uuid.UUID] = []
    header, rows = export_rows(
        session, kind, reveal=full_ids, jurisdiction=jurisdiction, touched=touched
    )
    writer = csv.writer(stream)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
        if progress is not None and count % STEP == 0:
            progress(count, 0)
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
