"""Shared option types: days, room lists, and the typed identity or card reader of a person."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import click

from cli.errors import Refusal
from cli.output import cell, note
from registry.identity import dates
from registry.identity.cards import CardRead, CardReader
from registry.identity.codes import ethnicity_code
from registry.identity.ids import DocType

if TYPE_CHECKING:
    from registry.people.registration import TypedIdentity

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from registry.context import Context
    from registry.db.models import Person


class DayType(click.ParamType):
    """A day as ``YYYY-MM-DD``."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        text = unicodedata.normalize("NFKC", str(value)).strip()  # full-width digits too
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
        shaped = [len(p) for p in text.split("-")] == [4, 2, 2]
        if shaped and text.replace("-", "").isdigit():
            self.fail(f"{text} 这一天不存在（月份 1–12，日期不超过当月天数）", param, ctx)
        self.fail(f"{value!r} 不是 YYYY-MM-DD 格式的日期", param, ctx)


DAY = DayType()


class EthnicityType(click.ParamType):
    """An ethnicity of GB/T 3304: its code (``01``), name (``汉``) or name with 族."""

    name = "CODE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        code = ethnicity_code(str(value))
        if code is None:
            self.fail(
                f"不认识的民族 {value!r}：请给出 GB/T 3304 代码（如 01）或名称（如 汉族）",
                param,
                ctx,
            )
        return code


ETHNICITY = EthnicityType()


class ValidToType(click.ParamType):
    """The end of a document's validity: a day in any form ``registry.identity.dates`` reads,
    or 长期 (also 9999-12-31), which becomes ``dates.LONG_TERM`` as on a card read."""

    name = "YYYY-MM-DD|长期"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> date | str:
        if isinstance(value, date):
            return value
        try:
            return dates.read_valid_to(str(value))
        except dates.BadDay:
            self.fail(f"{value!r} 不是日期（YYYY-MM-DD）或“长期”", param, ctx)


VALID_TO = ValidToType()


class InstantType(click.ParamType):
    """An instant in ISO 8601; without a zone it is local (Asia/Shanghai)."""

    name = "ISO8601"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        from cli.output import ZONE

        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} 不是 ISO 8601 时间（如 2026-06-15T10:00）", param, ctx)
        return moment if moment.tzinfo else moment.replace(tzinfo=ZONE)


INSTANT = InstantType()


def parse_rooms(spec: str | None, option: str = "--rooms") -> list[str]:
    """``101-105,201,A3`` → the listed room numbers (ranges of plain numbers expand).

    Raises ``click.BadParameter`` naming ``option`` for a reversed or too long range."""
    rooms: list[str] = []
    for part in (spec or "").replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        low, sep, high = part.partition("-")
        if sep and low.isdigit() and high.isdigit():
            if int(high) < int(low) or int(high) - int(low) > 999:
                raise click.BadParameter(f"房间范围 {part} 不对", param_hint=option)
            rooms += [str(n).zfill(len(low)) for n in range(int(low), int(high) + 1)]
        else:
            rooms.append(part)
    return rooms


# --- identity of a person: typed in, or read from a card ---------------------------------

GENDER_CHOICES = {"男": "1", "女": "2", "1": "1", "2": "2", "0": "0", "9": "9"}


def identity_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--reader URL`` or ``--id IDNO --name NAME`` plus the optional typed details."""
    options = [
        click.option(
            "--reader",
            "reader_url",
            metavar="URL",
            help="读卡器地址，如 serial:///dev/ttyUSB0、pcsc://、emulator://…；刷卡登记。",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(0.1, 3600),
            default=60.0,
            show_default=True,
            help="等待刷卡的秒数。",
        ),
        click.option(
            "--id",
            "number",
            metavar="IDNO",
            help="证件号码（无读卡器时手工录入，会记为“未经读卡核验”）。",
        ),
        click.option("--name", help="姓名（与 --id 一起手工录入；已登记的人可省略）。"),
        click.option(
            "--doc-type",
            type=click.Choice([t.value for t in DocType]),
            help="证件类型；默认按号码判断，护照必须指定 passport。",
        ),
        click.option(
            "--gender", type=click.Choice(list(GENDER_CHOICES)), help="性别：男/女（或代码 1/2）。"
        ),
        click.option("--birth", "birth_date", type=DAY, help="出生日期 YYYY-MM-DD。"),
        click.option(
            "--ethnicity", type=ETHNICITY, help="民族：代码（GB/T 3304，如 01）或名称（如 汉族）。"
        ),
        click.option("--phone", help="联系电话。"),
        click.option("--nationality", metavar="ISO3", help="国籍三字母代码（护照、外国人证件）。"),
        click.option("--address", "hukou_address", help="户籍地址。"),
        click.option(
            "--valid-to", type=VALID_TO, help="证件有效期至 YYYY-MM-DD 或“长期”（手工录入时）。"
        ),
    ]
    return functools.reduce(lambda f, option: option(f), reversed(options), func)


IDENTITY_KEYS = (
    "reader_url",
    "timeout",
    "number",
    "name",
    "doc_type",
    "gender",
    "birth_date",
    "ethnicity",
    "phone",
    "nationality",
    "hukou_address",
    "valid_to",
)


def pop_identity(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {key: kwargs.pop(key) for key in IDENTITY_KEYS}


def typed_identity(options: dict[str, Any], *, registered_name: bool = False) -> TypedIdentity:
    """The typed identity of the options; ``registered_name``: ``--name`` may be left out for
    a person registered already (the registry's name is used)."""
    if not options.get("name") and not registered_name:
        raise click.UsageError("手工录入需要同时给出 --id 和 --name（或改用 --reader 刷卡）。")
    gender = options.get("gender")
    from registry.people.registration import TypedIdentity  # 30 ms: only where typed

    return TypedIdentity(
        number=options["number"],
        name=options.get("name") or "",
        doc_type=options.get("doc_type"),
        gender=GENDER_CHOICES[gender] if gender else None,
        birth_date=options.get("birth_date"),
        ethnicity=options.get("ethnicity"),
        nationality=options.get("nationality"),
        hukou_address=options.get("hukou_address"),
        phone=options.get("phone"),
        valid_to=valid_to if isinstance(valid_to := options.get("valid_to"), date) else None,
        long_term=valid_to == dates.LONG_TERM,
    )


def identity_from(
    options: dict[str, Any], *, registered_name: bool = False
) -> TypedIdentity | CardRead:
    """The identity the options name: a card swiped on ``--reader`` or the typed one
    (``registered_name``: see ``typed_identity``)."""
    if bool(options.get("reader_url")) == bool(options.get("number")):
        raise click.UsageError(
            "请给出 --reader URL（刷卡）或 --id IDNO --name 姓名（手工录入）之一。"
        )
    if options.get("number"):
        return typed_identity(options, registered_name=registered_name)
    with reader_at(options["reader_url"]) as reader:
        return swipe(reader, options["timeout"])


# --- card readers ---------------------------------------------------------------------------


def _open(url: str) -> CardReader:
    try:
        from drivers import open_reader
    except ImportError:
        # Until drivers.open_reader lands: serial://PATH?baud=N over the GA 467 serial stack.
        parts = urlsplit(url)
        if parts.scheme != "serial":
            raise Refusal(f"读卡器地址 {url} 暂不支持：目前只能使用 serial://设备路径。") from None
        from drivers.serialreader import SerialReader

        baud = parse_qs(parts.query).get("baud", [None])[0]
        return SerialReader(parts.path, baud=int(baud) if baud else None)
    return open_reader(url)  # type: ignore[no-any-return]


@contextmanager
def reader_at(url: str) -> Iterator[CardReader]:
    """An open card reader for ``url``, closed afterwards."""
    reader = _open(url)
    try:
        yield reader
    finally:
        reader.close()


def swipe(reader: CardReader, timeout: float, prompt: str = "请刷身份证…") -> CardRead:
    """Wait for one card; a clear refusal when none came within ``timeout`` seconds."""
    note(prompt)
    card = reader.read(timeout)
    if card is None:
        raise Refusal(f"{timeout:g} 秒内没有读到证件：请把证件放在读卡器上后重试。")
    note(f"已读卡：{cell(card.name)} {card.masked_number}")
    return card


HOUSE_HELP = "房屋：编号（列表中的 8 位编号或完整编号，前 8 位以上即可）或门牌编码。"
EMPLOYER_HELP = (
    "单位：编号（列表中的 8 位编号或完整编号，前 8 位以上即可）、统一社会信用代码或名称。"
)
VENUE_HELP = "场所：名称（重名时写 名称@辖区代码）或编号（列表中的 8 位编号或完整编号）。"
HOTEL_HELP = "旅馆名称（重名时写 名称@辖区代码），或旅馆编号（前 8 位即可）。"


# --- a person (or a finding) named from a list row -------------------------------------------

PERSON_HELP = (
    "人员：完整证件号码、人员编号（列表中的 8 位编号或 --json 的 id），"
    "或证件号码末 4 位以上（本辖区内唯一时）。"
)


class PersonRefType(click.ParamType):
    """What names a person on the command line: a full document number, the person's id or an
    id prefix of 8 or more characters, or unique last digits (``registry.lookup.refs``).

    Only the form is checked here; ``person_of`` resolves it inside the command's transaction,
    within the caller's scope (several matches: a ``错误：`` line listing them to choose from).
    """

    name = "REF"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip()
        if not text:
            self.fail("人员不能为空：请给出证件号码、编号或证件号码末几位", param, ctx)
        if len(text) > 64 or any(ch.isspace() or not ch.isprintable() for ch in text):
            self.fail("不是证件号码、人员编号或证件号码末几位", param, ctx)
        return text


PERSON = PersonRefType()


def person_of(session: Session, ctx: Context, ref: str) -> Person:
    """The person ``ref`` names, within the caller's scope (``registry.lookup.refs``); the
    core's use cases take ``str(person.id)`` where they take a document number."""
    from registry.lookup.refs import resolve_person

    return resolve_person(session, ctx, ref)


def number_or_ref(session: Session, ctx: Context, ref: str | None) -> str | None:
    """What a use case that also registers takes for the person ``ref`` names: a full document
    number as typed (it may be a newcomer's), any other reference (an id, its prefix, last
    digits, a masked number) resolved by ``person_of`` to ``str(person.id)``."""
    from registry.lookup.refs import is_full_number

    if not ref or is_full_number(ref):
        return ref
    return str(person_of(session, ctx, ref).id)
