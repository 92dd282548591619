"""Importing persons, houses and employers from checked CSV rows through the registry's use cases,
all or nothing or skipping bad rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sized
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from registry.context import Context
from registry.errors import InvalidInput, RegistryError
from registry.exchange.csvfiles import (
    CsvError,
    Row,
    check_row,
    parse_day,
    parse_flag,
    parse_int,
    parse_valid_to,
)
from registry.identity import dates
from registry.identity.codes import ethnicity_code
from registry.messages import phrase
from registry.people import registration
from registry.places import employers, houses
from registry.places.jurisdictions import city_code
from registry.privacy import access, journal
from registry.progress import STEP, Progress

GENDERS = {"男": "1", "女": "2", "1": "1", "2": "2", "0": "0", "9": "9", "": None}


def import_person(session: Session, ctx: Context, v: dict[str, str], city: str | None) -> None:
    if v.get("gender", "") not in GENDERS:
        raise CsvError(f"性别应为 男/女，不是 {v['gender']!r}")
    eth = v.get("ethnicity", "")
    code = ethnicity_code(eth) if eth else None
    if eth and code is None:
        raise CsvError(f"不认识的民族 {eth!r}")
    valid_to = parse_valid_to(v, "valid_to")
    identity = registration.TypedIdentity(
        number=v["id_number"],
        name=v["name"],
        doc_type=v.get("doc_type") or None,
        gender=GENDERS[v.get("gender", "")],
        birth_date=parse_day(v, "birth_date"),
        ethnicity=code,
        nationality=v.get("nationality") or None,
        english_name=v.get("english_name") or None,
        phone=v.get("phone") or None,
        hukou_address=v.get("hukou_address") or None,
        valid_to=valid_to if isinstance(valid_to, date) else None,
        long_term=valid_to == dates.LONG_TERM,
    )
    registration.register(session, ctx, identity, city=city)


def import_house(session: Session, ctx: Context, v: dict[str, str], city: str | None) -> None:
    houses.add_house(
        session,
        ctx,
        v["address"],
        v["jurisdiction"],
        landlord=v.get("landlord") or None,
        capacity=parse_int(v, "capacity"),
        filing=v.get("filing_number") or None,
        pledge=parse_flag(v, "pledge_signed"),
        use=v.get("use") or "rental",
        rooms=parse_int(v, "rooms"),
        door_plate=v.get("door_plate") or None,
    )


def import_employer(session: Session, ctx: Context, v: dict[str, str], city: str | None) -> None:
    employers.add_employer(
        session,
        ctx,
        v["name"],
        v["uscc"],
        v["jurisdiction"],
        headcount=parse_int(v, "headcount"),
        industry=v.get("industry") or None,
        address=v.get("address") or None,
    )


IMPORTERS: dict[str, Callable[[Session, Context, dict[str, str], str | None], None]] = {
    "persons": import_person,
    "houses": import_house,
    "employers": import_employer,
}


@dataclass
class Outcome:
    imported: int = 0
    rejected: list[tuple[Row, str]] = field(default_factory=list)


def import_rows(
    session: Session,
    ctx: Context,
    kind: str,
    rows: Iterable[Row],
    city: str | None = None,
    progress: Progress | None = None,
) -> Outcome:
    """Each row in its own savepoint: a bad row is rolled back and reported, the rest stay.

    ``progress(done, total)`` (rows) is called every ``STEP`` rows and at the end; ``total``
    is the number of rows when ``rows`` has a length, else 0."""
    outcome = Outcome()
    total = len(rows) if isinstance(rows, Sized) else 0
    done = 0
    for done, row in enumerate(rows, 1):
        if progress is not None and done % STEP == 1:
            progress(done - 1, total)
        reason = _import_row(session, ctx, kind, row, city)
        if reason is None:
            outcome.imported += 1
        else:
            outcome.rejected.append((row, reason))
    if progress is not None:
        progress(done, total or done)
    return outcome


def _import_row(
    session: Session, ctx: Context, kind: str, row: Row, city: str | None
) -> str | None:
    """One row in its own savepoint; None when imported, else why not (Chinese)."""
    try:
        check_row(kind, row)
    except CsvError as exc:
        return str(exc)
    savepoint = session.begin_nested()
    try:
        IMPORTERS[kind](session, ctx, row.values, city)
        session.flush()
    except (DataError, IntegrityError) as exc:  # a value the database refuses
        savepoint.rollback()
        return f"数据库拒绝了本行的值（{type(exc.orig).__name__}）"
    except (RegistryError, ValueError) as exc:
        savepoint.rollback()
        return as_written(phrase(str(exc)), row)
    savepoint.commit()
    return None


def as_written(message: str, row: Row) -> str:
    """``message`` with each day the use case wrote as ISO (``1994-01-02``) quoted as its
    cell is written in the file (``1994/1/2``), so the user finds the cell they typed."""
    for cell in row.values.values():
        written = cell.strip()
        try:
            iso = dates.read_day(written).isoformat()
        except dates.BadDay:
            continue
        if iso != written and iso in message:
            message = message.replace(iso, written)
    return message


# The permission an import of each kind needs (the rows' own use cases check their scope).
ACTIONS = {"persons": "person.write", "houses": "house.add", "employers": "place.write"}


class RowsRejected(InvalidInput):
    """Some rows cannot be imported and bad rows were not to be skipped: nothing is kept.

    ``outcome`` holds what was rejected (line and Chinese reason each); the caller's
    transaction must end in a rollback (raising this from inside it does).
    """

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome
        super().__init__(f"{len(outcome.rejected)} rows of the file are rejected")


def import_file(
    session: Session,
    ctx: Context,
    kind: str,
    rows: Iterable[Row],
    *,
    file_name: str,
    city: str | None = None,
    skip_bad: bool = False,
    progress: Progress | None = None,
) -> Outcome:
    """The use case ``laiqu import KIND FILE``: permission checked once, then every checked
    row through its use case (``import_rows``), then one journal event for the file.

    ``city``: a jurisdiction code whose city makes a person local. Raises ``OutOfScope``,
    ``NotFound`` (unknown city), and ``RowsRejected`` when a row is bad and ``skip_bad`` is
    not set (all or nothing).
    """
    ctx = access.require(session, ctx, ACTIONS[kind])
    home = city_code(session, city) if city else None
    outcome = import_rows(session, ctx, kind, rows, home, progress)
    if outcome.rejected and not skip_bad:
        raise RowsRejected(outcome)
    journal.record(
        session,
        ctx,
        f"import.{kind}",
        "import",
        None,
        rows=outcome.imported,
        rejected=len(outcome.rejected),
        file=file_name,
    )
    return outcome
