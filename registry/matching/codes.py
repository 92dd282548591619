"""The finding codes of the three matchings and the candidate value the rules produce."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import NamedTuple

from registry.identity.ids import DocType

CHIP_TYPES = frozenset(t.value for t in DocType if t.has_chip)


class Code(NamedTuple):
    matching: str  # 人证 / 人房 / 人岗
    severity: str
    level: str  # the subjects it is computed for: person / house / employer
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
# A fact, not a state: once found it stays open until a coordinator acknowledges it.
FACT_CODES = frozenset({"PH-LATE"})


@dataclass(frozen=True)
class Candidate:
    """A finding that holds now for one subject; ``key`` identifies it across runs."""

    code: str
    subject_kind: str
    subject_id: uuid.UUID
    person_id: uuid.UUID | None
    jurisdiction: str
    detail: str = ""

    @property
    def key(self) -> str:
        return f"{self.code}:{self.subject_kind}:{self.subject_id}"
