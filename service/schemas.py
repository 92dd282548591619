"""The JSON shapes of API v1 (pydantic): requests as typed, answers always masked.

Field names follow the command line's ``--json`` documents (README "JSON output"): a person's
``id_number`` and ``phone`` are masked everywhere (``registry.identity.ids.mask``); days are
``YYYY-MM-DD``, instants ISO 8601 with zone; identifiers are UUID strings.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from registry.db.models import Finding, Person
from registry.identity import text
from registry.identity.ids import mask
from registry.matching.codes import CODES
from registry.people.registration import TypedIdentity
from service.logs import scrub


def plain_text(value: str) -> str:
    """Refuse what no registry field may hold, by the core's one text validator
    (``registry.identity.text``, one regular-expression scan): unpaired surrogates (not
    UTF-8), control characters (NUL, which PostgreSQL cannot store, BEL, line breaks, C1) and
    bidirectional controls."""
    if (bad := text.problem(value)) is None:
        return value
    if 0xD800 <= int(bad[2:], 16) <= 0xDFFF:
        raise ValueError("not UTF-8 text")
    raise ValueError(f"control characters are not allowed ({bad})")


Text = Annotated[str, AfterValidator(plain_text)]


# What ``json.dumps(…, ensure_ascii=False)`` writes for a C0 control character: ``\n``,
# ``\t``… or ``\u00XX``. Every other character ``text.problem`` refuses stays as it is.
_ESCAPED_C0 = re.compile(r"\\(?:[bfnrt]|u00[01])")


def _all_plain(value: Any) -> None:
    """``plain_text`` for every string (keys too) of a decoded JSON value.

    One C-speed serialisation and two regular-expression scans when the value is clean (an
    upload's thousands of strings: ~4 ms a batch of 200 items against ~15 ms string by
    string); only when a scan finds something (or a backslash that might hide one) does the
    walk string by string name the first offending one.
    """
    dumped = json.dumps(value, ensure_ascii=False)
    if text.problem(dumped) is None and _ESCAPED_C0.search(dumped) is None:
        return
    _walk(value)


def _walk(value: Any) -> None:
    if isinstance(value, str):
        plain_text(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            _walk(k)
            _walk(v)
    elif isinstance(value, list):
        for v in value:
            _walk(v)


def mask_phone(phone: str | None) -> str | None:
    """``138****5678`` (as the command line's lists)."""
    if not phone:
        return phone
    return phone[:3] + "*" * max(0, len(phone) - 7) + phone[-4:] if len(phone) > 7 else "****"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GuestIn(Strict):
    """A person typed in at a desk (the service takes no chip data it cannot verify)."""

    id_number: Text = Field(min_length=1, max_length=40, description="证件号码")
    name: Text = Field(min_length=1, max_length=100, description="姓名")
    doc_type: Text | None = Field(None, max_length=20, description="证件类型，默认按号码判断")
    gender: Literal["1", "2"] | None = None
    birth_date: date | None = None
    ethnicity: Text | None = Field(None, max_length=2)
    nationality: Text | None = Field(None, max_length=3)
    english_name: Text | None = Field(None, max_length=100)
    phone: Text | None = Field(None, max_length=text.width(Person.phone))  # as the CLI: 32
    hukou_address: Text | None = Field(None, max_length=200)
    valid_to: date | None = None

    def identity(self) -> TypedIdentity:
        return TypedIdentity(
            number=self.id_number,
            name=self.name,
            doc_type=self.doc_type,
            gender=self.gender,
            birth_date=self.birth_date,
            ethnicity=self.ethnicity,
            nationality=self.nationality,
            english_name=self.english_name,
            hukou_address=self.hukou_address,
            phone=self.phone,
            valid_to=self.valid_to,
        )


class PersonOut(BaseModel):
    id: uuid.UUID
    doc_type: str
    id_number: str = Field(description="脱敏的证件号码")
    name: str
    gender: str | None
    birth_date: date | None
    ethnicity: str | None
    nationality: str | None
    category: str
    phone: str | None = Field(description="脱敏的电话")
    hukou_region: str | None

    @classmethod
    def of(cls, p: Person) -> PersonOut:
        return cls(
            id=p.id,
            doc_type=p.doc_type,
            id_number=mask(p.number),
            name=p.name,
            gender=p.gender,
            birth_date=p.birth_date,
            ethnicity=p.ethnicity,
            nationality=p.nationality,
            category=p.category,
            phone=mask_phone(p.phone),
            hukou_region=p.hukou_region,
        )


class FindingOut(BaseModel):
    id: uuid.UUID
    code: str
    matching: str | None
    label: str | None
    severity: str
    jurisdiction: str | None
    subject_kind: str
    subject_id: uuid.UUID | None
    person_id: uuid.UUID | None
    detail: str
    found_at: datetime
    resolved_at: datetime | None

    @classmethod
    def of(cls, f: Finding) -> FindingOut:
        info = CODES.get(f.code)
        return cls(
            id=f.id,
            code=f.code,
            matching=info.matching if info else None,
            label=info.label if info else None,
            severity=f.severity,
            jurisdiction=f.jurisdiction_code,
            subject_kind=f.subject_kind,
            subject_id=f.subject_id,
            person_id=f.person_id,
            detail=scrub(f.detail or ""),
            found_at=f.found_at,
            resolved_at=f.resolved_at,
        )


class Findings(BaseModel):
    count: int
    findings: list[FindingOut]


class PlaceRef(BaseModel):
    id: uuid.UUID
    name: str


# --- sync -----------------------------------------------------------------------------------


class UploadItem(BaseModel):
    """One outbox item as ``registry.sync.payload.build`` makes it."""

    model_config = ConfigDict(extra="allow")
    id: uuid.UUID
    table: Text = Field(max_length=32)
    op: Text = Field(max_length=16)
    record: uuid.UUID
    data: dict[str, Any]


class Batch(Strict):
    venue: dict[str, Any] = Field(description="发送场所：id、name、kind、jurisdiction")
    items: list[UploadItem] = Field(max_length=5000)

    @model_validator(mode="after")
    def _plain(self) -> Batch:
        _all_plain([self.venue, [item.data for item in self.items]])
        return self


class ItemResult(BaseModel):
    id: str
    state: str
    reason: str | None = None
    notice: str | None = None
    duplicate: str | None = None


class BatchResult(BaseModel):
    results: list[ItemResult]


# --- stays ----------------------------------------------------------------------------------


class CheckInIn(Strict):
    venue: Text = Field(min_length=1, max_length=200, description="场所编号或名称")
    room: Text = Field(min_length=1, max_length=20)
    guests: list[GuestIn] = Field(min_length=1, max_length=20)
    expected_checkout: date | None = None


class GuestOut(BaseModel):
    person: PersonOut
    stay_id: uuid.UUID
    capture: str
    created: bool
    warnings: list[str]


class CheckInOut(BaseModel):
    venue: PlaceRef
    room: str
    guests: list[GuestOut]
    findings: list[FindingOut]


class CheckOutIn(Strict):
    venue: Text = Field(min_length=1, max_length=200)
    room: Text | None = Field(None, min_length=1, max_length=20)
    id_number: Text | None = Field(None, min_length=1, max_length=40)


class StayOut(BaseModel):
    stay_id: uuid.UUID
    person: PersonOut | None
    room: str
    checked_in_at: datetime
    checked_out_at: datetime | None


class CheckOutOut(BaseModel):
    venue: PlaceRef
    stays: list[StayOut]
    findings: list[FindingOut]


# --- residences and jobs --------------------------------------------------------------------


class MoveInIn(Strict):
    house: Text = Field(min_length=1, max_length=200, description="房屋编号或门牌编码")
    guest: GuestIn
    on: date | None = None
    relation: Literal["tenant", "co-tenant", "family", "dormitory", "owner"] = "tenant"
    reporter: Literal["landlord", "intermediary", "employer", "self"] = "self"
    planned_end: date | None = None


class HouseRef(BaseModel):
    id: uuid.UUID
    address: str


class MoveInOut(BaseModel):
    house: HouseRef
    residence_id: uuid.UUID
    person: PersonOut
    on: date
    relation: str
    reporter: str
    capture: str
    report_deadline: Any = None
    findings: list[FindingOut]


class MoveOutIn(Strict):
    house: Text = Field(min_length=1, max_length=200)
    id_number: Text = Field(min_length=1, max_length=40)
    on: date | None = None
    reason: Text | None = Field(None, max_length=200)


class MoveOutOut(BaseModel):
    house: HouseRef
    residence_id: uuid.UUID
    id_number: str
    start: date = Field(alias="from")
    end: date | None = Field(alias="to")
    reason: str | None
    findings: list[FindingOut]
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


class JobIn(Strict):
    action: Literal["start", "end"]
    employer: Text = Field(min_length=1, max_length=200, description="单位编号或名称")
    id_number: Text = Field(min_length=1, max_length=40)
    name: Text | None = Field(None, max_length=100)
    on: date | None = None
    post: Text | None = Field(None, max_length=100)
    jurisdiction: Text | None = Field(None, max_length=32, description="未登记单位的辖区")
    reason: Text | None = Field(None, max_length=200)


class JobOut(BaseModel):
    employer: PlaceRef
    registered: bool
    employment_id: uuid.UUID
    person: PersonOut
    start: date = Field(alias="from")
    end: date | None = Field(alias="to")
    post: str | None
    findings: list[FindingOut]
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


# --- look-ups -------------------------------------------------------------------------------


class SearchHit(PersonOut):
    match: str | None


class SearchOut(BaseModel):
    query: str = Field(description="查询内容（数字已脱敏）")
    count: int
    persons: list[SearchHit]
