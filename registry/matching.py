"""The three matchings (人证、人房、人岗): rules that open and resolve findings.

Each rule computes, for a set of persons, houses or employers, the findings that hold now.
``refresh`` reconciles them with the open findings of the same subjects: new ones are opened
(and returned, so a desk is told at once), vanished ones are resolved. A use case refreshes
the subjects it touched; ``check`` refreshes a whole jurisdiction the same way, in chunks.
PH-LATE is a fact, not a state: once found it stays until a coordinator acknowledges it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from registry import rules
from registry.context import Context
from registry.db.models import (
    Document,
    Employer,
    Employment,
    Finding,
    House,
    Jurisdiction,
    Person,
    Residence,
    Stay,
)
from registry.errors import NotFound, Refused
from registry.ids import DocType

CHIP_TYPES = tuple(t.value for t in DocType if t.has_chip)
CHUNK = 2000


class Code(NamedTuple):
    matching: str  # 人证 / 人房 / 人岗
    severity: str
    level: str  # which subject sets it is computed for: person / house / employer
    label: str


CODES: dict[str, Code] = {
    "PC-EXPIRED": Code("人证", "high", "person", "证件过期仍被使用"),
    "PC-DISAGREE": Code("人证", "high", "person", "读卡信息与登记信息不符"),
    "PC-MANUAL": Code("人证", "medium", "person", "手工录入，未经读卡核验"),
    "PC-TWO-PLACES": Code("人证", "high", "person", "同一证件同时在两处登记"),
    "PH-NO-HOUSE": Code("人房", "medium", "person", "流动人口无居住登记"),
    "PH-OVER-CAPACITY": Code("人房", "high", "house", "居住人数超过核定人数（群租）"),
    "PH-UNFILED": Code("人房", "medium", "house", "出租房屋未备案、无房东或未签保证书"),
    "PH-LATE": Code("人房", "low", "person", "逾期申报居住登记"),
    "PH-OVERDUE-DEPARTURE": Code("人房", "medium", "person", "超期未注销"),
    "PJ-UNKNOWN-EMPLOYER": Code("人岗", "medium", "employer", "就业单位未登记"),
    "PJ-NO-RESIDENCE": Code("人岗", "medium", "person", "从业人员无居住登记"),
    "PJ-HEADCOUNT": Code("人岗", "low", "employer", "单位申报人数与登记从业人员不符"),
}
FACT_CODES = {"PH-LATE"}


@dataclass
class Scope:
    """What to re-check: explicit subjects (incremental) or a jurisdiction subtree (batch)."""

    persons: set[uuid.UUID] | None = None
    houses: set[uuid.UUID] | None = None
    employers: set[uuid.UUID] | None = None

    def ids(self, level: str) -> set[uuid.UUID]:
        return getattr(self, level + "s") or set()


@dataclass(frozen=True)
class Candidate:
    code: str
    subject_kind: str
    subject_id: uuid.UUID
    person_id: uuid.UUID | None
    jurisdiction: str
    detail: str = ""

    @property
    def key(self) -> str:
        return f"{self.code}:{self.subject_kind}:{self.subject_id}"


Rule = Callable[[Session, Context, list[uuid.UUID]], Iterable[Candidate]]


def _open_residence(person_col: object) -> object:
    return exists().where(Residence.person_id == person_col, Residence.valid_to.is_(None))


# Built once: constructing an alias costs ~1 ms, on the check-in path of every guest.
_DOC = aliased(Document)


def _valid_document(person_col: object, ctx: Context) -> object:
    doc = _DOC
    return exists().where(
        doc.person_id == person_col,
        or_(doc.long_term.is_(True), doc.valid_to >= ctx.today()),
    )


def _person_places(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Where a person-level finding belongs: the person's latest stay, residence or job."""
    ids = list(ids)
    places: dict[uuid.UUID, tuple[str, str]] = {}
    queries: list[Select[tuple[uuid.UUID, object, str]]] = [
        select(Stay.person_id, Stay.checked_in_at, Stay.jurisdiction_code).where(
            Stay.person_id.in_(ids)
        ),
        select(Residence.person_id, Residence.valid_from, Residence.jurisdiction_code).where(
            Residence.person_id.in_(ids)
        ),
        select(Employment.person_id, Employment.valid_from, Employment.jurisdiction_code).where(
            Employment.person_id.in_(ids)
        ),
    ]
    for query in queries:
        for pid, start, code in session.execute(query):
            stamp = str(start)[:10]
            if pid not in places or stamp >= places[pid][0]:
                places[pid] = (stamp, code)
    return {pid: code for pid, (_, code) in places.items()}


def pc_expired(session: Session, ctx: Context, ids: list[uuid.UUID]) -> Iterator[Candidate]:
    """A stay or residence registered with a document already expired, until a valid one."""
    for model, start in ((Stay, Stay.checked_in_at), (Residence, Residence.valid_from)):
        rows = session.execute(
            select(model.id, model.person_id, start, Document.valid_to, model.jurisdiction_code)
            .join(Document, Document.id == model.document_id)
            .where(
                model.person_id.in_(ids),
                Document.valid_to.is_not(None),
                ~_valid_document(model.person_id, ctx),
            )
        )
        for link_id, pid, began, valid_to, code in rows:
            day = ctx.local_day(began) if hasattr(began, "tzinfo") else began
            if valid_to < day:
                yield Candidate(
                    "PC-EXPIRED",
                    model.__tablename__[:-1],
                    link_id,
                    pid,
                    code,
                    f"证件有效期至 {valid_to}",
                )


def pc_manual(session: Session, ctx: Context, ids: list[uuid.UUID]) -> Iterator[Candidate]:
    """A link whose identity was typed although the document has a chip never read since."""
    for model in (Stay, Residence):
        rows = session.execute(
            select(model.id, model.person_id, model.jurisdiction_code)
            .join(Person, Person.id == model.person_id)
            .where(
                model.person_id.in_(ids),
                model.capture == "manual",
                Person.doc_type.in_(CHIP_TYPES),
                ~exists().where(Document.person_id == model.person_id, Document.capture == "chip"),
            )
        )
        for link_id, pid, code in rows:
            kind = model.__tablename__[:-1]
            yield Candidate("PC-MANUAL", kind, link_id, pid, code, "身份信息为手工录入")


def pc_disagree(session: Session, ctx: Context, ids: list[uuid.UUID]) -> Iterator[Candidate]:
    """The latest chip read of a person disagrees with the registry's person."""
    rows = session.execute(
        select(Person, Document)
        .join(Document, Document.person_id == Person.id)
        .where(Person.id.in_(ids), Document.capture == "chip")
        .order_by(Person.id, Document.read_at.desc().nulls_last(), Document.created_at.desc())
    )
    seen: set[uuid.UUID] = set()
    places: dict[uuid.UUID, str] | None = None
    for person, doc in rows:
        if person.id in seen:
            continue
        seen.add(person.id)
        diffs = [
            label
            for label, card, ours in (
                ("姓名", doc.card_name, person.name),
                ("性别", doc.card_gender, person.gender),
                ("出生日期", doc.card_birth_date, person.birth_date),
                ("民族", doc.card_ethnicity, person.ethnicity),
            )
            if card not in (None, "") and ours not in (None, "") and card != ours
        ]
        if diffs:
            places = places if places is not None else _person_places(session, ids)
            yield Candidate(
                "PC-DISAGREE",
                "person",
                person.id,
                person.id,
                places.get(person.id, ""),
                "不一致项：" + "、".join(diffs),
            )


def pc_two_places(session: Session, ctx: Context, ids: list[uuid.UUID]) -> Iterator[Candidate]:
    """One document checked in at two venues at once, or holding two active residences."""
    stays = session.execute(
        select(
            Stay.person_id,
            func.count(func.distinct(Stay.venue_id)),
            func.max(Stay.jurisdiction_code),
        )
        .where(Stay.person_id.in_(ids), Stay.checked_out_at.is_(None))
        .group_by(Stay.person_id)
        .having(func.count(func.distinct(Stay.venue_id)) > 1)
    )
    found = {pid: (n, code, "旅馆") for pid, n, code in stays}
    homes = session.execute(
        select(Residence.person_id, func.count(), func.max(Residence.jurisdiction_code))
        .where(Residence.person_id.in_(ids), Residence.valid_to.is_(None))
        .group_by(Residence.person_id)
        .having(func.count() > 1)
    )
    for pid, n, code in homes:
        found.setdefault(pid, (n, code, "居所"))
    for pid, (n, code, what) in found.items():
        yield Candidate("PC-TWO-PLACES", "person", pid, pid, code, f"同时在 {n} 处{what}登记")


def ph_no_house(session: Session, ctx: Context, ids: list[uuid.UUID]) -> Iterator[Candidate]:
    """A non-local person working here, or staying at a hotel too long, with no residence.

    "Too long" is the ``no_house_stay_days`` rule in force at the venue on the check-in day.
    """
    now = ctx.now()
    homeless = (Person.id.in_(ids), Person.category != "local", ~_open_residence(Person.id))
    working = exists().where(Employment.person_id == Person.id, Employment.valid_to.is_(None))
    found = set(session.scalars(select(Person.id).where(*homeless, working)))
    at_least = timedelta(days=rules.LIMITS["no_house_stay_days"][0])
    stays = session.execute(
        select(Stay.person_id, Stay.jurisdiction_code, Stay.checked_in_at)
        .join(Person, Person.id == Stay.person_id)
        .where(*homeless, Stay.checked_out_at.is_(None), Stay.checked_in_at < now - at_least)
    )
    for pid, code, since in stays:
        limit = rules.effective(session, code, ctx.local_day(since)).no_house_stay_days
        if pid not in found and since < now - timedelta(days=limit):
            found.add(pid)
    places = _person_places(session, found) if found else {}
    for pid in sorted(found):
        yield Candidate("PH-NO-HOUSE", "person", pid, pid, places.get(pid, ""), "无有效居住登记")


def ph_over_capacity(session: Session, ctx: Context, ids: list[uuid.UUID]) -> Iterator[Candidate]:
    rows = session.execute(
        select(House.id, House.jurisdiction_code, House.capacity, func.count(Residence.id))
        .join(Residence, Residence.house_id == House.id)
        .where(House.id.in_(ids), House.capacity.is_not(None), Residence.valid_to.is_(None))
        .group_by(House.id, House.jurisdiction_code, House.capacity)
    )
    for hid, code, capacity, n in rows:
        if n > capacity:
            yield Candidate(
                "PH-OVER-CAPACITY", "house", hid, None, code, f"登记居住 {n} 人，核定 {capacity} 人"
            )


def ph_unfiled(session: Session, ctx: Context, ids: list[uuid.UUID]) -> Iterator[Candidate]:
    tenants = exists().where(
        Residence.house_id == House.id,
        Residence.valid_to.is_(None),
        Residence.relation.in_(("tenant", "co-tenant")),
    )
    rows = session.execute(
        select(
            House.id,
            House.jurisdiction_code,
            House.filing_number,
            House.landlord_id,
            House.pledge_signed,
        ).where(
            House.id.in_(ids),
            House.use == "rental",
            tenants,
            or_(
                House.filing_number.is_(None),
                House.landlord_id.is_(None),
                House.pledge_signed.is_(False),
            ),
        )
    )
    for hid, code, filing, landlord, pledge in rows:
        missing = [
            m
            for m, ok in (("备案号", filing), ("房东", landlord), ("治安责任保证书", pledge))
            if not ok
        ]
        yield Candidate("PH-UNFILED", "house", hid, None, code, "缺少：" + "、".join(missing))


def ph_late(session: Session, ctx: Context, ids: list[uuid.UUID]) -> Iterator[Candidate]:
    """Move-ins, move-outs and hotel stays reported after their deadlines.

    A late move-out is keyed on subject kind ``departure`` (the residence's id). Residences with
    close relatives that ended within the exemption needed no report at all.
    """
    rows = session.execute(
        select(
            Residence.id,
            Residence.person_id,
            Residence.jurisdiction_code,
            Residence.reported_at,
            Residence.report_deadline,
            Residence.relation,
            Residence.valid_from,
            Residence.valid_to,
            Residence.departure_reported_at,
            Residence.departure_deadline,
        ).where(Residence.person_id.in_(ids))
    )
    for rid, pid, code, reported, deadline, relation, start, end, out_at, out_by in rows:
        late_in = ctx.local_day(reported) > deadline
        late_out = out_at is not None and out_by is not None and ctx.local_day(out_at) > out_by
        if not (late_in or late_out):
            continue
        if relation == "family" and rules.family_exempt(
            rules.effective(session, code, start), relation, start, end
        ):
            continue
        if late_in:
            yield Candidate(
                "PH-LATE",
                "residence",
                rid,
                pid,
                code,
                f"应于 {deadline} 前申报，实际 {ctx.local_day(reported)}",
            )
        if late_out:
            yield Candidate(
                "PH-LATE",
                "departure",
                rid,
                pid,
                code,
                f"迁出应于 {out_by} 前申报注销，实际 {ctx.local_day(out_at)}",
            )
    stays = session.execute(
        select(
            Stay.id,
            Stay.person_id,
            Stay.jurisdiction_code,
            Stay.checked_in_at,
            Stay.report_deadline,
            Stay.reported_at,
            Person.category,
        )
        .join(Person, Person.id == Stay.person_id)
        .where(Stay.person_id.in_(ids), Stay.reported_at > Stay.report_deadline)
    )
    for sid, pid, code, checked_in, deadline, reported, category in stays:
        in_force = rules.effective(session, code, ctx.local_day(checked_in))
        if reported > rules.stay_alert_after(in_force, category, deadline):
            yield Candidate("PH-LATE", "stay", sid, pid, code, "旅客信息逾期上报")


def ph_overdue_departure(
    session: Session, ctx: Context, ids: list[uuid.UUID]
) -> Iterator[Candidate]:
    """Residences past their planned end, and stays past expected check-out plus the grace."""
    today = ctx.today()
    rows = session.execute(
        select(
            Residence.id, Residence.person_id, Residence.jurisdiction_code, Residence.planned_end
        ).where(
            Residence.person_id.in_(ids),
            Residence.valid_to.is_(None),
            Residence.planned_end < today,
        )
    )
    for rid, pid, code, end in rows:
        yield Candidate(
            "PH-OVERDUE-DEPARTURE", "residence", rid, pid, code, f"计划居住至 {end}，未注销"
        )
    stays = session.execute(
        select(Stay.id, Stay.person_id, Stay.jurisdiction_code, Stay.expected_checkout).where(
            Stay.person_id.in_(ids), Stay.checked_out_at.is_(None), Stay.expected_checkout <= today
        )
    )
    for sid, pid, code, expected in stays:
        in_force = rules.effective(session, code, expected)
        if ctx.now() >= rules.stay_overdue_from(in_force, ctx, expected):
            yield Candidate(
                "PH-OVERDUE-DEPARTURE", "stay", sid, pid, code, f"预计 {expected} 退房，未办理退房"
            )


def pj_unknown_employer(
    session: Session, ctx: Context, ids: list[uuid.UUID]
) -> Iterator[Candidate]:
    rows = session.execute(
        select(Employer.id, Employer.jurisdiction_code, func.count(Employment.id))
        .join(Employment, Employment.employer_id == Employer.id)
        .where(Employer.id.in_(ids), Employer.registered.is_(False), Employment.valid_to.is_(None))
        .group_by(Employer.id, Employer.jurisdiction_code)
    )
    for eid, code, n in rows:
        yield Candidate(
            "PJ-UNKNOWN-EMPLOYER", "employer", eid, None, code, f"{n} 名从业人员的单位未登记"
        )


def pj_no_residence(session: Session, ctx: Context, ids: list[uuid.UUID]) -> Iterator[Candidate]:
    rows = session.execute(
        select(Employment.id, Employment.person_id, Employment.jurisdiction_code)
        .join(Employer, Employer.id == Employment.employer_id)
        .join(Person, Person.id == Employment.person_id)
        .where(
            Employment.person_id.in_(ids),
            Employment.valid_to.is_(None),
            Employer.registered.is_(True),
            Person.category != "local",
            ~_open_residence(Employment.person_id),
        )
    )
    for jid, pid, code in rows:
        yield Candidate("PJ-NO-RESIDENCE", "employment", jid, pid, code, "从业人员无居住登记")


def pj_headcount(session: Session, ctx: Context, ids: list[uuid.UUID]) -> Iterator[Candidate]:
    active = (
        select(func.count(Employment.id))
        .where(Employment.employer_id == Employer.id, Employment.valid_to.is_(None))
        .scalar_subquery()
    )
    rows = session.execute(
        select(Employer.id, Employer.jurisdiction_code, Employer.headcount, active).where(
            Employer.id.in_(ids),
            Employer.registered.is_(True),
            Employer.headcount.is_not(None),
            Employer.headcount != active,
        )
    )
    for eid, code, declared, n in rows:
        yield Candidate(
            "PJ-HEADCOUNT", "employer", eid, None, code, f"申报 {declared} 人，登记在岗 {n} 人"
        )


RULES: dict[str, Rule] = {
    "PC-EXPIRED": pc_expired,
    "PC-DISAGREE": pc_disagree,
    "PC-MANUAL": pc_manual,
    "PC-TWO-PLACES": pc_two_places,
    "PH-NO-HOUSE": ph_no_house,
    "PH-OVER-CAPACITY": ph_over_capacity,
    "PH-UNFILED": ph_unfiled,
    "PH-LATE": ph_late,
    "PH-OVERDUE-DEPARTURE": ph_overdue_departure,
    "PJ-UNKNOWN-EMPLOYER": pj_unknown_employer,
    "PJ-NO-RESIDENCE": pj_no_residence,
    "PJ-HEADCOUNT": pj_headcount,
}


def _chunks(ids: Iterable[uuid.UUID]) -> Iterator[list[uuid.UUID]]:
    items = sorted(ids)
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def refresh(
    session: Session, ctx: Context, scope: Scope, codes: Iterable[str] | None = None
) -> list[Finding]:
    """Reconcile the findings of the scope's subjects; return the newly opened ones."""
    opened: list[Finding] = []
    now = ctx.now()
    for code in codes or RULES:
        rule, info = RULES[code], CODES[code]
        for chunk in _chunks(scope.ids(info.level)):
            found = {c.key: c for c in rule(session, ctx, chunk)}
            subject = Finding.person_id if info.level == "person" else Finding.subject_id
            existing = session.scalars(
                select(Finding).where(
                    Finding.code == code,
                    subject.in_(chunk),
                    or_(Finding.resolved_at.is_(None), Finding.code.in_(FACT_CODES)),
                )
            ).all()
            known = {f.key: f for f in existing}
            for key, finding in known.items():
                if key not in found and finding.resolved_at is None and code not in FACT_CODES:
                    finding.resolved_at, finding.resolution = now, "情况已消除"
            for key, cand in found.items():
                if key in known:
                    continue
                finding = Finding(
                    id=uuid.uuid4(),
                    code=code,
                    severity=info.severity,
                    key=key,
                    jurisdiction_code=cand.jurisdiction,
                    person_id=cand.person_id,
                    subject_kind=cand.subject_kind,
                    subject_id=cand.subject_id,
                    detail=cand.detail,
                    found_at=now,
                )
                session.add(finding)
                opened.append(finding)
    session.flush()
    return opened


def subtree(session: Session, jurisdiction: str | None) -> Select[tuple[str]] | None:
    """Codes of a jurisdiction and everything under it (None: the whole registry)."""
    if jurisdiction is None:
        return None
    node = session.get(Jurisdiction, jurisdiction)
    if node is None:
        raise NotFound(f"jurisdiction {jurisdiction} is not registered")
    return select(Jurisdiction.code).where(Jurisdiction.path.like(node.path + "%"))


def batch_scope(session: Session, jurisdiction: str | None) -> Scope:
    """Every subject with a record (or an open finding) in the jurisdiction's subtree."""
    codes = subtree(session, jurisdiction)

    def within(column: object) -> list[object]:
        return [] if codes is None else [column.in_(codes)]  # type: ignore[attr-defined]

    persons: set[uuid.UUID] = set()
    for model in (Stay, Residence, Employment):
        persons.update(
            session.scalars(
                select(model.person_id).distinct().where(*within(model.jurisdiction_code))
            )
        )
    if codes is None:
        persons.update(session.scalars(select(Person.id)))
    persons.update(
        session.scalars(
            select(Finding.person_id)
            .distinct()
            .where(
                Finding.person_id.is_not(None),
                Finding.resolved_at.is_(None),
                *within(Finding.jurisdiction_code),
            )
        )
    )
    houses = set(session.scalars(select(House.id).where(*within(House.jurisdiction_code))))
    employers = set(session.scalars(select(Employer.id).where(*within(Employer.jurisdiction_code))))
    return Scope(persons=persons, houses=houses, employers=employers)


def check(
    session: Session,
    ctx: Context,
    jurisdiction: str | None = None,
    codes: Iterable[str] | None = None,
) -> list[Finding]:
    """Batch run of the matchings over a jurisdiction; returns newly opened findings."""
    wanted = list(codes) if codes else list(RULES)
    unknown = [c for c in wanted if c not in RULES]
    if unknown:
        raise NotFound(f"unknown finding code {unknown[0]}; codes are {', '.join(RULES)}")
    return refresh(session, ctx, batch_scope(session, jurisdiction), wanted)


def open_findings(
    session: Session, jurisdiction: str | None = None, code: str | None = None
) -> list[Finding]:
    query = select(Finding).where(Finding.resolved_at.is_(None))
    codes = subtree(session, jurisdiction)
    if codes is not None:
        query = query.where(Finding.jurisdiction_code.in_(codes))
    if code:
        if code not in CODES:
            raise NotFound(f"unknown finding code {code}; codes are {', '.join(CODES)}")
        query = query.where(Finding.code == code)
    return list(session.scalars(query.order_by(Finding.code, Finding.found_at)))


def acknowledge(session: Session, ctx: Context, finding_id: uuid.UUID, note: str) -> Finding:
    """A coordinator closes a finding that is a fact (PH-LATE) after handling it."""
    from registry import journal

    finding = session.get(Finding, finding_id)
    if finding is None:
        raise NotFound("no such finding")
    if finding.resolved_at is not None:
        raise Refused("this finding is already resolved")
    if not note.strip():
        raise Refused("say how the finding was handled")
    finding.resolved_at, finding.resolution = ctx.now(), note.strip()[:200]
    journal.record(
        session,
        ctx,
        "finding.acknowledged",
        "finding",
        finding.id,
        person_id=finding.person_id,
        jurisdiction=finding.jurisdiction_code,
        code=finding.code,
    )
    return finding
