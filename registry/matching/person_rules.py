"""Person-level rules, evaluated in Python over the facts of a few persons.

The facts of a chunk of persons (their documents, stays, residences and jobs) are loaded with
six prepared statements, whatever the number of rules; each rule is then a plain function of
one person's facts. A check-in refreshes one person this way in a handful of queries, and the
batch run over a jurisdiction uses the very same rules on chunks of thousands.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from registry.context import Context
from registry.db.models import Document, Employer, Employment, Person, Residence, Stay
from registry.identity import names
from registry.matching import rules
from registry.matching.codes import CHIP_TYPES, Candidate

_IDS = bindparam("ids", expanding=True)
# Prepared once: building statements per call costs more than running them.
_PERSONS = select(
    Person.id,
    Person.category,
    Person.doc_type,
    Person.name,
    Person.gender,
    Person.birth_date,
    Person.ethnicity,
).where(Person.id.in_(_IDS))
_DOCUMENTS = select(
    Document.person_id,
    Document.id,
    Document.capture,
    Document.long_term,
    Document.valid_to,
    Document.read_at,
    Document.created_at,
    Document.card_name,
    Document.card_gender,
    Document.card_birth_date,
    Document.card_ethnicity,
).where(Document.person_id.in_(_IDS))
_STAYS = select(
    Stay.person_id,
    Stay.id,
    Stay.venue_id,
    Stay.jurisdiction_code,
    Stay.checked_in_at,
    Stay.checked_out_at,
    Stay.expected_checkout,
    Stay.capture,
    Stay.document_id,
    Stay.report_deadline,
    Stay.reported_at,
).where(Stay.person_id.in_(_IDS))
_RESIDENCES = select(
    Residence.person_id,
    Residence.id,
    Residence.jurisdiction_code,
    Residence.valid_from,
    Residence.valid_to,
    Residence.planned_end,
    Residence.relation,
    Residence.capture,
    Residence.document_id,
    Residence.reported_at,
    Residence.report_deadline,
    Residence.departure_reported_at,
    Residence.departure_deadline,
).where(Residence.person_id.in_(_IDS))
_JOBS = (
    select(
        Employment.person_id,
        Employment.id,
        Employment.jurisdiction_code,
        Employment.valid_from,
        Employment.valid_to,
        Employer.registered,
    )
    .join(Employer, Employer.id == Employment.employer_id)
    .where(Employment.person_id.in_(_IDS))
)


@dataclass
class Facts:
    """What the person-level rules need to know about one person.

    Rules only read attributes, so the facts are loaded rows or, for a person created in the
    running transaction, the very objects just written (see ``matching.refresh(new=…)``).
    """

    person: Any
    documents: list[Any] = field(default_factory=list)
    stays: list[Any] = field(default_factory=list)
    residences: list[Any] = field(default_factory=list)
    jobs: list[Any] = field(default_factory=list)

    @property
    def open_residences(self) -> list[Row[Any]]:
        return [r for r in self.residences if r.valid_to is None]

    @property
    def open_stays(self) -> list[Row[Any]]:
        return [s for s in self.stays if s.checked_out_at is None]

    @property
    def open_jobs(self) -> list[Row[Any]]:
        return [j for j in self.jobs if j.valid_to is None]

    @property
    def place(self) -> str:
        """Where a finding about the person belongs: the latest stay, residence or job."""
        links = [(str(s.checked_in_at)[:10], s.jurisdiction_code) for s in self.stays]
        links += [(str(r.valid_from), r.jurisdiction_code) for r in self.residences]
        links += [(str(j.valid_from), j.jurisdiction_code) for j in self.jobs]
        return max(links)[1] if links else ""


def load(session: Session, ids: Sequence[uuid.UUID]) -> list[Facts]:
    """The facts of the given persons: six queries for the whole chunk."""
    params = {"ids": list(ids)}
    facts = {row.id: Facts(row) for row in session.execute(_PERSONS, params)}
    for statement, attr in (
        (_DOCUMENTS, "documents"),
        (_STAYS, "stays"),
        (_RESIDENCES, "residences"),
        (_JOBS, "jobs"),
    ):
        grouped: dict[uuid.UUID, list[Row[Any]]] = defaultdict(list)
        for row in session.execute(statement, params):
            grouped[row.person_id].append(row)
        for pid, rows in grouped.items():
            if pid in facts:
                setattr(facts[pid], attr, rows)
    return list(facts.values())


@dataclass(frozen=True)
class Env:
    """The clock and the rules in force, shared by the rules of one refresh."""

    session: Session
    ctx: Context
    today: date
    now: datetime

    def rules(self, jurisdiction: str, day: date) -> rules.RuleSet:
        return rules.effective(self.session, jurisdiction, day)


def _kind(link: Row[Any]) -> str:
    return "stay" if hasattr(link, "checked_in_at") else "residence"


def pc_expired(f: Facts, env: Env) -> Iterator[Candidate]:
    """A stay or residence registered with a document already expired, until a valid one."""
    if any(
        d.long_term or (d.valid_to is not None and d.valid_to >= env.today) for d in f.documents
    ):
        return
    valid_to = {d.id: d.valid_to for d in f.documents}
    for link in [*f.stays, *f.residences]:
        until = valid_to.get(link.document_id)
        start = env.ctx.local_day(link.checked_in_at) if _kind(link) == "stay" else link.valid_from
        if until is not None and until < start:
            yield Candidate(
                "PC-EXPIRED",
                _kind(link),
                link.id,
                f.person.id,
                link.jurisdiction_code,
                f"证件有效期至 {until}",
            )


def pc_manual(f: Facts, env: Env) -> Iterator[Candidate]:
    """Identity typed in although the document has a chip, and no chip read since."""
    if f.person.doc_type not in CHIP_TYPES or any(d.capture == "chip" for d in f.documents):
        return
    for link in [*f.stays, *f.residences]:
        if link.capture == "manual":
            yield Candidate(
                "PC-MANUAL",
                _kind(link),
                link.id,
                f.person.id,
                link.jurisdiction_code,
                "身份信息为手工录入",
            )


def _same(label: str, card: object, ours: object) -> bool:
    """Names compare as ``names.key`` (dot variants are one dot); other fields as they are."""
    if label == "姓名" and isinstance(card, str) and isinstance(ours, str):
        return names.same_name(card, ours)
    return card == ours


def pc_disagree(f: Facts, env: Env) -> Iterator[Candidate]:
    """The latest chip read disagrees with the registry's person (blanks do not count)."""
    chips = [d for d in f.documents if d.capture == "chip"]
    if not chips:
        return
    latest = max(
        chips, key=lambda d: (d.read_at is not None, d.read_at or d.created_at, d.created_at)
    )
    p = f.person
    diffs = [
        label
        for label, card, ours in (
            ("姓名", latest.card_name, p.name),
            ("性别", latest.card_gender, p.gender),
            ("出生日期", latest.card_birth_date, p.birth_date),
            ("民族", latest.card_ethnicity, p.ethnicity),
        )
        if card not in (None, "") and ours not in (None, "") and not _same(label, card, ours)
    ]
    if diffs:
        yield Candidate(
            "PC-DISAGREE", "person", p.id, p.id, f.place, "不一致项：" + "、".join(diffs)
        )


def pc_two_places(f: Facts, env: Env) -> Iterator[Candidate]:
    """One document checked in at two venues at once, or holding two active residences."""
    venues = {s.venue_id for s in f.open_stays}
    homes = f.open_residences
    if len(venues) > 1:
        code = max(s.jurisdiction_code for s in f.open_stays)
        yield Candidate(
            "PC-TWO-PLACES",
            "person",
            f.person.id,
            f.person.id,
            code,
            f"同时在 {len(venues)} 处旅馆登记",
        )
    elif len(homes) > 1:
        code = max(r.jurisdiction_code for r in homes)
        yield Candidate(
            "PC-TWO-PLACES",
            "person",
            f.person.id,
            f.person.id,
            code,
            f"同时在 {len(homes)} 处居所登记",
        )


def ph_no_house(f: Facts, env: Env) -> Iterator[Candidate]:
    """A non-local person working here, or at a hotel longer than the rule allows, homeless.

    "Longer" is the ``no_house_stay_days`` rule in force at the venue on the check-in day.
    """
    if f.person.category == "local" or f.open_residences:
        return
    shortest = timedelta(days=rules.LIMITS["no_house_stay_days"][0])  # no rule allows less
    long_stay = not f.open_jobs and any(
        s.checked_in_at < env.now - shortest
        and s.checked_in_at
        < env.now
        - timedelta(
            days=env.rules(
                s.jurisdiction_code, env.ctx.local_day(s.checked_in_at)
            ).no_house_stay_days
        )
        for s in f.open_stays
    )
    if f.open_jobs or long_stay:
        yield Candidate(
            "PH-NO-HOUSE", "person", f.person.id, f.person.id, f.place, "无有效居住登记"
        )


def ph_late(f: Facts, env: Env) -> Iterator[Candidate]:
    """Move-ins, move-outs and hotel stays reported after their deadlines.

    A late move-out is keyed on subject kind ``departure`` (the residence's id). Residences with
    close relatives that ended within the exemption needed no report at all.
    """
    day = env.ctx.local_day
    for r in f.residences:
        late_in = day(r.reported_at) > r.report_deadline
        late_out = (
            r.departure_reported_at is not None
            and r.departure_deadline is not None
            and day(r.departure_reported_at) > r.departure_deadline
        )
        if not (late_in or late_out) or rules.family_exempt(
            env.rules(r.jurisdiction_code, r.valid_from), r.relation, r.valid_from, r.valid_to
        ):
            continue
        if late_in:
            yield Candidate(
                "PH-LATE",
                "residence",
                r.id,
                f.person.id,
                r.jurisdiction_code,
                f"应于 {r.report_deadline} 前申报，实际 {day(r.reported_at)}",
            )
        if late_out:
            yield Candidate(
                "PH-LATE",
                "departure",
                r.id,
                f.person.id,
                r.jurisdiction_code,
                f"迁出应于 {r.departure_deadline} 前申报注销，实际 {day(r.departure_reported_at)}",
            )
    for s in f.stays:
        if s.reported_at is None or s.report_deadline is None or s.reported_at <= s.report_deadline:
            continue
        in_force = env.rules(s.jurisdiction_code, day(s.checked_in_at))
        if s.reported_at > rules.stay_alert_after(in_force, f.person.category, s.report_deadline):
            yield Candidate(
                "PH-LATE", "stay", s.id, f.person.id, s.jurisdiction_code, "旅客信息逾期上报"
            )


def ph_overdue_departure(f: Facts, env: Env) -> Iterator[Candidate]:
    """Residences past their planned end, and stays past expected check-out plus the grace."""
    for r in f.open_residences:
        if r.planned_end is not None and r.planned_end < env.today:
            yield Candidate(
                "PH-OVERDUE-DEPARTURE",
                "residence",
                r.id,
                f.person.id,
                r.jurisdiction_code,
                f"计划居住至 {r.planned_end}，未注销",
            )
    for s in f.open_stays:
        expected = s.expected_checkout
        if expected is None or expected > env.today:
            continue
        in_force = env.rules(s.jurisdiction_code, expected)
        if env.now >= rules.stay_overdue_from(in_force, env.ctx, expected):
            yield Candidate(
                "PH-OVERDUE-DEPARTURE",
                "stay",
                s.id,
                f.person.id,
                s.jurisdiction_code,
                f"预计 {expected} 退房，未办理退房",
            )


def pj_no_residence(f: Facts, env: Env) -> Iterator[Candidate]:
    """A non-local employee of a registered employer with no active residence."""
    if f.person.category == "local" or f.open_residences:
        return
    for job in f.open_jobs:
        if job.registered:
            yield Candidate(
                "PJ-NO-RESIDENCE",
                "employment",
                job.id,
                f.person.id,
                job.jurisdiction_code,
                "从业人员无居住登记",
            )


PersonRule = Callable[[Facts, Env], Iterator[Candidate]]

RULES: dict[str, PersonRule] = {
    "PC-EXPIRED": pc_expired,
    "PC-DISAGREE": pc_disagree,
    "PC-MANUAL": pc_manual,
    "PC-TWO-PLACES": pc_two_places,
    "PH-NO-HOUSE": ph_no_house,
    "PH-LATE": ph_late,
    "PH-OVERDUE-DEPARTURE": ph_overdue_departure,
    "PJ-NO-RESIDENCE": pj_no_residence,
}
