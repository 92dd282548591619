"""Registering persons and their documents, from a card read or from typed data.

A card read is authoritative for what the chip says; typed data is checked against the
number (gender and birth date) and against the registry (name). Disagreements between a
chip and the registry are findings (PC-DISAGREE), not refusals: the desk must not be blocked.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db import locks
from registry.db.cache import per_transaction
from registry.db.fast import insert_now
from registry.db.models import Document, Finding, Person
from registry.errors import InvalidInput, Refused
from registry.identity import names, text
from registry.identity.cards import CardRead
from registry.identity.codes import ETHNICITIES, GENDERS
from registry.identity.ids import DocType, IdNumber, mask, nationality, parse
from registry.matching import checks
from registry.privacy import access, audit, journal


@dataclass(frozen=True)
class TypedIdentity:
    """Identity typed in by hand (the fallback when no reader is at hand). An empty ``name``
    stands for the registered person's name (``InvalidInput`` when the number is not
    registered).
    """

    number: str = field(repr=False)
    name: str
    doc_type: DocType | str | None = None
    gender: str | None = None
    birth_date: date | None = None
    ethnicity: str | None = None
    nationality: str | None = None
    english_name: str | None = None
    hukou_address: str | None = field(default=None, repr=False)
    phone: str | None = field(default=None, repr=False)
    valid_to: date | None = None
    long_term: bool = False  # 长期: valid with no end, as a card read says with valid_to None

    def __post_init__(self) -> None:
        object.__setattr__(self, "phone", text.phone_form(self.phone))


Identity = CardRead | TypedIdentity
# Persons are never voided: the voided-rows criteria (``db.voiding``) have nothing to add.
_BY_KEY = select(Person).where(Person.id_key == bindparam("key")).execution_options(
    include_voided=True
)
_BY_KEYS = (
    select(Person)
    .where(Person.id_key.in_(bindparam("keys", expanding=True)))
    .execution_options(include_voided=True)
)
BY_KEY = "laiqu.people.by_key"  # per transaction: id_key -> Person, or None when known absent
CHUNK = 1000
NAME_PROBLEMS = {"digits": "a run of digits", "control": "control or format characters"}


@dataclass
class Registration:
    """The outcome of registering one identity: who, which document, and what was noticed."""

    person: Person
    document: Document
    capture: str  # chip / manual
    created: bool
    warnings: list[str]
    findings: list[Finding] = field(default_factory=list)
    entry: journal.Entry | None = None  # the journal event, for the use case to hand over


def categorize(idn: IdNumber, city_code: str | None) -> str:
    """local / floating / hmt / foreign; local means the number's city is this city."""
    if idn.doc_type is DocType.HMT_PERMIT:
        return "hmt"
    if idn.doc_type in (DocType.FOREIGN_2017, DocType.FOREIGN_2023, DocType.PASSPORT):
        return "foreign"
    if city_code and idn.region_code and idn.region_code[:4] == city_code[:4]:
        return "local"
    return "floating"


def _check_agreement(idn: IdNumber, gender: str | None, born: date | None) -> None:
    """A resident-style number encodes gender and birth date: the card data must agree."""
    if idn.gender and gender in ("1", "2") and gender != idn.gender:
        raise InvalidInput(
            f"the gender ({GENDERS.get(gender)}) does not agree with ID number {idn.masked}"
        )
    if idn.birth_date and born and born != idn.birth_date:
        raise InvalidInput(f"the birth date {born} does not agree with ID number {idn.masked}")


PARSED = "laiqu.people.parsed"  # per transaction: (number, doc type, day) -> IdNumber


def parse_once(
    session: Session, number: str, doc_type: DocType | str | None, today: date
) -> IdNumber:
    """``ids.parse`` of a number, parsed once per transaction (a check-in checks its guests'
    numbers before it registers them). Raises ``InvalidNumber``, every time it is asked."""
    memo = per_transaction(session, PARSED)
    key = (number, doc_type, today)
    found: IdNumber | None = memo.get(key)
    if found is None:
        found = memo[key] = parse(number, doc_type, today=today)
    return found


def _validate(session: Session, identity: Identity, today: date) -> tuple[IdNumber, list[str]]:
    """The parsed number and the warnings of an identity, or ``InvalidInput``/``InvalidNumber``.

    ``today`` is the registry's local day (``Context.today``): no birth date may be later,
    whatever the document type (a passport's typed birth date included).
    """
    idn = parse_once(session, identity.number, identity.doc_type, today)
    if not identity.name or not identity.name.strip():
        raise InvalidInput("a name is needed")
    chip = isinstance(identity, CardRead)
    try:
        text.line(identity.name, "name", text.width(Person.name))
        if (why := names.name_problem(identity.name)) is not None:
            raise InvalidInput(f"a name may not hold {NAME_PROBLEMS[why]}")
        address = identity.address if isinstance(identity, CardRead) else identity.hukou_address
        text.fields(
            english_name=(identity.english_name, Person.english_name),
            hukou_address=(address, Person.hukou_address),
            phone=(getattr(identity, "phone", None), Person.phone),
            issuer=(getattr(identity, "issuer", None), Document.issuer),
        )
    except InvalidInput as exc:
        # Nobody typed a chip's text: "delete it and type again" is no advice for a card.
        if chip and "may not hold control characters" in str(exc):
            raise InvalidInput(f"read from the card: {exc}") from None
        raise
    if identity.birth_date is not None and identity.birth_date > today:
        raise InvalidInput(f"the birth date {identity.birth_date} is later than today ({today})")
    # Whom a warning is about: the guest's masked number and name (never the full number).
    warnings = [f"{idn.masked}（{identity.name.strip()}）：{w}" for w in idn.warnings]
    if identity.gender is not None and identity.gender not in GENDERS:
        raise InvalidInput(f"gender code must be one of {', '.join(GENDERS)}")
    if identity.ethnicity is not None and identity.ethnicity not in ETHNICITIES:
        raise InvalidInput(f"ethnicity code {identity.ethnicity!r} is not in GB/T 3304")
    _check_agreement(idn, identity.gender, identity.birth_date)
    if idn.doc_type is DocType.PASSPORT and not identity.nationality:
        raise InvalidInput("a passport needs the holder's nationality (three-letter code)")
    return idn, warnings


def prefetch(session: Session, keys: Iterable[str]) -> None:
    """Lock the documents of ``keys`` and read their persons, a statement each for them all.

    ``register`` then needs no statement to find them. The locks come first: once held, no
    other writer can create one of these persons before this transaction ends, so a key read
    as absent stays absent. Sessions that row-level security may restrict (scoped logins on
    PostgreSQL) read persons one presented card at a time and only take the locks.
    """
    wanted = sorted(set(keys))
    locks.hold_all(session, ("document:" + k for k in wanted))
    if not access.sees_every_person(session):
        return
    known = per_transaction(session, BY_KEY)
    wanted = [k for k in wanted if k not in known]
    for i in range(0, len(wanted), CHUNK):
        chunk = wanted[i : i + CHUNK]
        found = {p.id_key: p for p in session.scalars(_BY_KEYS, {"keys": chunk})}
        known.update((k, found.get(k)) for k in chunk)


def register(
    session: Session, ctx: Context, identity: Identity, *, city: str | None = None
) -> Registration:
    """Find or create the person of an identity and record the document it came with;
    journaled (``identify`` leaves the journal event to its caller)."""
    reg = identify(session, ctx, identity, city=city)
    journal.record_all(session, ctx, [reg.entry] if reg.entry else [])
    return reg


def identify(
    session: Session, ctx: Context, identity: Identity, *, city: str | None = None
) -> Registration:
    """Find or create the person of an identity and record the document it came with.

    The step of a larger use case (a check-in): the journal event comes back as
    ``Registration.entry`` for the use case to hand over with its own. Raises
    ``InvalidNumber``/``InvalidInput`` (bad identity) and ``Refused`` (typed data under a
    registered number with another name; names compare as ``names.key``: the dot variants
    and the spaces around them are one name).
    """
    if isinstance(identity, TypedIdentity) and not (identity.name or "").strip():
        identity = _named(session, identity)
    idn, warnings = _validate(session, identity, ctx.today())
    locks.hold(session, "document:" + idn.key)
    access.present(session, idn.key)
    known = per_transaction(session, BY_KEY)
    person = known[idn.key] if idn.key in known else session.scalar(_BY_KEY, {"key": idn.key})
    created = person is None
    chip = isinstance(identity, CardRead)
    now = ctx.now()
    if person is None:
        person = known[idn.key] = _new_person(identity, idn, categorize(idn, city), now)
    elif not chip and not names.same_name(identity.name, person.name):
        # Compared as keys: 买买提•艾力 typed for a registered 买买提·艾力 is the same name.
        raise Refused(
            f"ID number {idn.masked} is registered under another name; check the number and "
            "the name, or read the card"
        )
    else:
        _fill_blanks(person, identity)
    # A person created just now has no documents yet: no need to look for one.
    document = (
        _chip_document(session, person, identity, idn, known=not created)
        if chip
        else _typed_document(session, person, identity, idn, known=not created)
    )
    audit.knows(session, person.id, idn.key)
    if inspect(document).transient:
        document.created_at = now
        insert_now(session, *((person, document) if created else (document,)))
    entry = journal.entry(
        "person.registered" if created else "person.identified",
        "person",
        person.id,
        person_id=person.id,
        capture="chip" if chip else "manual",
        number=mask(idn.number),
        doc_type=idn.doc_type.value,
        warnings=warnings or None,
    )
    capture = "chip" if chip else "manual"
    return Registration(person, document, capture, created, warnings, entry=entry)


def _named(session: Session, typed: TypedIdentity) -> TypedIdentity:
    """A typed identity without a name takes the registered person's (a move-in of someone
    registered already); ``InvalidInput`` when the number is not registered."""
    key = parse(typed.number, typed.doc_type).key
    known = per_transaction(session, BY_KEY)
    person = known[key] if key in known else session.scalar(_BY_KEY, {"key": key})
    if person is None:
        raise InvalidInput("a name is needed: this number is not registered yet")
    return replace(typed, name=person.name)


def _new_person(identity: Identity, idn: IdNumber, category: str, now: object) -> Person:
    full, initials = names.forms(identity.name)
    hukou = identity.address if isinstance(identity, CardRead) else identity.hukou_address
    nat = identity.nationality
    return Person(
        id=uuid.uuid4(),
        id_key=idn.key,
        doc_type=idn.doc_type.value,
        number=idn.number,
        name=identity.name.strip(),
        name_pinyin=full,
        name_initials=initials,
        english_name=identity.english_name,
        gender=identity.gender or idn.gender or "0",
        ethnicity=identity.ethnicity,
        birth_date=identity.birth_date or idn.birth_date,
        nationality=nationality(nat) if nat else None,
        hukou_address=hukou,
        hukou_region=idn.region_code,
        phone=getattr(identity, "phone", None),
        category=category,
        created_at=now,
        updated_at=now,
    )


def _fill_blanks(person: Person, identity: Identity) -> None:
    """New data may add what the registry lacks (a phone, ethnicity), never overwrite it."""
    typed = isinstance(identity, TypedIdentity)
    additions = {
        "phone": identity.phone if typed else None,
        "hukou_address": identity.hukou_address if typed else identity.address,
        "ethnicity": identity.ethnicity,
        "english_name": identity.english_name,
    }
    for attr, value in additions.items():
        if value and not getattr(person, attr):
            setattr(person, attr, value)


def _document(
    session: Session, person: Person, idn: IdNumber, capture: str, *, known: bool, **match: object
) -> Document:
    """The person's document of this number and capture (and ``match``), found or new.

    A person created just now (``known`` false) has no documents yet: no look-up then. A new
    document is returned transient: ``register`` writes it with the person, in order.
    """
    found = None
    if known:
        conditions = [getattr(Document, k) == v for k, v in match.items()]
        found = session.scalar(
            select(Document).where(
                Document.person_id == person.id,
                Document.number == idn.number,
                Document.capture == capture,
                *conditions,
            )
        )
    if found is not None:
        return found
    doc = Document(
        id=uuid.uuid4(),
        person_id=person.id,
        doc_type=idn.doc_type.value,
        number=idn.number,
        capture=capture,
        long_term=False,
    )
    return doc


def _chip_document(
    session: Session, person: Person, card: CardRead, idn: IdNumber, *, known: bool
) -> Document:
    doc = _document(session, person, idn, "chip", known=known, valid_from=card.valid_from)
    doc.issuer, doc.valid_from, doc.valid_to = card.issuer, card.valid_from, card.valid_to
    doc.long_term = card.valid_to is None
    doc.reader_id, doc.sam_id, doc.chip_serial = card.reader_id, card.sam_id, card.chip_serial
    doc.read_at = card.read_at
    doc.photo, doc.photo_sha256 = card.photo, card.photo_sha256
    doc.card_name, doc.card_gender, doc.card_birth_date = card.name, card.gender, card.birth_date
    doc.card_ethnicity, doc.card_address = card.ethnicity, card.address
    doc.extras = dict(card.extras) or None
    return doc


def _typed_document(
    session: Session, person: Person, typed: TypedIdentity, idn: IdNumber, *, known: bool
) -> Document:
    doc = _document(session, person, idn, "manual", known=known)
    if typed.long_term:
        doc.valid_to, doc.long_term = None, True
    elif typed.valid_to is not None:
        doc.valid_to, doc.long_term = typed.valid_to, False
    return doc


def register_person(
    session: Session, ctx: Context, identity: Identity, *, city: str | None = None
) -> Registration:
    """The use case `person add`: register and run the person–certificate matching."""
    reg = register(session, ctx, identity, city=city)
    reg.findings = checks.refresh(session, ctx, checks.Scope(persons={reg.person.id}))
    return reg


def correct_person(
    session: Session,
    ctx: Context,
    number: str,
    *,
    name: str | None = None,
    gender: str | None = None,
    birth_date: date | None = None,
    ethnicity: str | None = None,
    phone: str | None = None,
) -> tuple[Person, list[Finding]]:
    """A coordinator corrects a person's data (e.g. to what the chip says)."""
    ctx = access.require(session, ctx, "person.write")
    from registry.people.find import find_person

    person = find_person(session, number)
    idn = parse(person.number, person.doc_type)
    _check_agreement(idn, gender, birth_date)
    if name is not None:
        if not name.strip() or len(name) > 100:
            raise InvalidInput("a name is needed (at most 100 characters)")
        if (why := names.name_problem(name)) is not None:
            raise InvalidInput(f"a name may not hold {NAME_PROBLEMS[why]}")
        name = name.strip()
    if gender is not None and gender not in GENDERS:
        raise InvalidInput(f"gender code must be one of {', '.join(GENDERS)}")
    if ethnicity is not None and ethnicity not in ETHNICITIES:
        raise InvalidInput(f"ethnicity code {ethnicity!r} is not in GB/T 3304")
    phone = text.phone_form(phone)
    changed = {
        k: v
        for k, v in dict(
            name=name, gender=gender, birth_date=birth_date, ethnicity=ethnicity, phone=phone
        ).items()
        if v is not None
    }
    if not changed:
        raise InvalidInput("nothing to correct")
    text.fields(name=(name, Person.name), phone=(phone, Person.phone))
    if name is not None and (why := names.name_problem(name)) is not None:
        raise InvalidInput(f"a name may not hold {NAME_PROBLEMS[why]}")
    for key, value in changed.items():
        setattr(person, key, value)
    if name:
        person.name_pinyin, person.name_initials = names.forms(name)
    person.updated_at = ctx.now()
    journal.record(
        session,
        ctx,
        "person.corrected",
        "person",
        person.id,
        person_id=person.id,
        fields=sorted(changed),
    )
    session.flush()
    return person, checks.refresh(session, ctx, checks.Scope(persons={person.id}))


@dataclass(frozen=True)
class Correction:
    """What ``correct`` changed and what it did to the person's findings."""

    person: Person
    fields: list[str]  # corrected, by name
    opened: list[Finding]
    resolved: list[Finding]  # open before, resolved by the correction (e.g. PC-DISAGREE)


CARD_FIELDS = {
    "name": "card_name",
    "gender": "card_gender",
    "birth_date": "card_birth_date",
    "ethnicity": "card_ethnicity",
}


def card_values(session: Session, person: Person) -> dict[str, object]:
    """What the person's latest chip read says (name, gender, birth date, ethnicity), the
    values PC-DISAGREE compares; empty without a chip read."""
    latest = session.scalar(
        select(Document)
        .where(Document.person_id == person.id, Document.capture == "chip")
        .order_by(Document.read_at.desc().nulls_last(), Document.created_at.desc())
        .limit(1)
    )
    if latest is None:
        return {}
    said = {field: getattr(latest, column) for field, column in CARD_FIELDS.items()}
    return {k: v for k, v in said.items() if v not in (None, "")}


def correct(
    session: Session,
    ctx: Context,
    number: str,
    *,
    from_card: bool = False,
    **fields: object,
) -> Correction:
    """``correct_person`` (a coordinator corrects name, gender, birth date, ethnicity or
    phone), optionally taking what the latest chip read says for the fields not given
    (``from_card``: how PC-DISAGREE is resolved); reports the findings it resolved.

    ``number``: a document number or a person id. Raises ``InvalidInput`` (nothing to
    correct, a value the number contradicts, no chip read with ``from_card``), ``NotFound``
    and ``OutOfScope``."""
    ctx = access.require(session, ctx, "person.write")
    from registry.people.find import find_person

    person = find_person(session, number)
    given = {k: v for k, v in fields.items() if v is not None}
    if from_card:
        card = card_values(session, person)
        if not card:
            raise InvalidInput("this person has no chip read to take the data from")
        given = {**{k: v for k, v in card.items() if getattr(person, k) != v}, **given}
    if not given:
        raise InvalidInput("nothing to correct")
    before = set(
        session.scalars(
            select(Finding.id).where(Finding.person_id == person.id, Finding.resolved_at.is_(None))
        )
    )
    person, opened = correct_person(session, ctx, str(person.id), **given)  # type: ignore[arg-type]
    resolved = (
        [
            f
            for f in session.scalars(select(Finding).where(Finding.id.in_(before)))
            if f.resolved_at is not None
        ]
        if before
        else []
    )
    return Correction(person, sorted(given), opened, resolved)
