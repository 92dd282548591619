"""``checkin``, ``checkout`` and ``frontdesk``: the hotel front desk (来有登记、走有核销)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from cli.app import App
from cli.corrections import WithActions
from cli.errors import translate
from cli.output import (
    CAPTURES,
    cell,
    emit,
    finding_data,
    findings_text,
    joined,
    json_option,
    note,
    person_data,
)
from cli.params import (
    DAY,
    HOTEL_HELP,
    INSTANT,
    PERSON,
    PERSON_HELP,
    identity_options,
    number_or_ref,
    pop_identity,
    reader_at,
    swipe,
    typed_identity,
)
from cli.station import open_station, station_options
from drivers.errors import ReaderError
from registry.context import Context
from registry.identity.cards import CardRead
from registry.identity.ids import mask
from registry.lookup import desk as desk_view
from registry.messages import phrase
from registry.movements import stays
from registry.people.find import find_person
from registry.people.registration import Identity, Registration, TypedIdentity
from registry.places.venues import resolve_venue
from registry.sync import outbox
from registry.sync.background import BackgroundPush

WARN_BEFORE = timedelta(minutes=10)


def _co_guest(session: Session, spec: str) -> TypedIdentity:
    """``IDNO`` of a registered person, or ``IDNO:姓名`` for someone new."""
    parts = re.split(r"[:：,，\s]+", spec.strip(), maxsplit=1)
    number, name = parts[0], (parts[1].strip() if len(parts) > 1 else "")
    if not name:
        name = find_person(session, number).name
    return TypedIdentity(number=number, name=name)


@click.command("checkin", cls=WithActions, actions="CHECKIN_ACTIONS")
@click.option("--venue", required=True, metavar="V", help=HOTEL_HELP)
@click.option("--room", required=True, metavar="R", help="房间号。")
@identity_options
@click.option(
    "--with",
    "co_guests",
    multiple=True,
    metavar="IDNO[:姓名]",
    help="同住旅客的证件号码（已登记的人只需号码，新人加 :姓名）；可重复。",
)
@click.option(
    "--guests",
    type=click.IntRange(1, 20),
    default=1,
    show_default=True,
    help="用 --reader 时依次刷卡的人数（主客加同住旅客）。",
)
@click.option("--until", "expected", type=DAY, help="预计退房日期 YYYY-MM-DD。")
@json_option
@click.pass_obj
def checkin(
    app: App,
    venue: str,
    room: str,
    co_guests: tuple[str, ...],
    guests: int,
    expected: date | None,
    as_json: bool,
    **options: Any,
) -> None:
    """旅客入住：--reader 等待刷卡（--guests 人数），或 --id/--name 手工录入。

    立即显示登记结果和发现的问题（证件过期、读卡信息不符、同时在两处登记、手工录入）。
    """
    ident = pop_identity(options)
    if bool(ident["reader_url"]) == bool(ident["number"]):
        raise click.UsageError(
            "请给出 --reader URL（刷卡）或 --id IDNO --name 姓名（手工录入）之一。"
        )
    party: list[Identity] = []
    if ident["reader_url"]:
        with reader_at(ident["reader_url"]) as reader:
            for i in range(guests):
                prompt = "请刷身份证…" if i == 0 else f"请刷第 {i + 1} 位旅客的证件…"
                party.append(swipe(reader, ident["timeout"], prompt))
    else:
        party.append(typed_identity(ident, registered_name=True))
    with app.sessions.begin() as session:
        party += [_co_guest(session, spec) for spec in co_guests]
        done = stays.check_in(session, app.ctx, venue, room, party, expected_checkout=expected)
        data = checkin_data(done)
    emit(as_json, data, lambda: checkin_text(done))


def checkin_data(done: stays.CheckIn) -> dict[str, Any]:
    return {
        "venue": {"id": done.venue.id, "name": done.venue.name},
        "room": done.room,
        "guests": [
            {
                "person": person_data(g.person),
                "stay_id": s.id,
                "capture": g.capture,
                "created": g.created,
                "warnings": [phrase(w) for w in g.warnings],
            }
            for g, s in zip(done.guests, done.stays, strict=True)
        ],
        "findings": [finding_data(f) for f in done.findings],
    }


def checkin_text(done: stays.CheckIn) -> str:
    lines = [f"已入住：{done.venue.name} {done.room} 房"]
    for g in done.guests:
        new = "，新登记" if g.created else ""
        lines.append(f"  {g.person.name} {mask(g.person.number)}（{CAPTURES[g.capture]}{new}）")
    return joined(
        "\n".join(lines),
        "\n".join(f"注意：{phrase(w)}" for w in done.warnings),
        findings_text(done.findings, who=named(done.guests) if len(done.guests) > 1 else None),
    )


def named(guests: Iterable[Registration]) -> dict[uuid.UUID, str]:
    """Guests by person id as a desk names them: name and masked number."""
    return {g.person.id: f"{g.person.name} {mask(g.person.number)}" for g in guests}


@click.command("checkout")
@click.option("--venue", required=True, metavar="V", help=HOTEL_HELP)
@click.option("--room", metavar="R", help="按房间退房（同住旅客一起）。")
@click.option(
    "--id", "number", type=PERSON, help="按人为一位旅客退房：" + PERSON_HELP.removeprefix("人员：")
)
@click.option("--at", "at", type=INSTANT, help="退房时间（ISO 8601，默认现在）。")
@json_option
@click.pass_obj
def checkout(
    app: App, venue: str, room: str | None, number: str | None, at: datetime | None, as_json: bool
) -> None:
    """旅客退房（核销）：按 --room 房间或按 --id 证件号码。"""
    if (room is None) == (number is None):
        raise click.UsageError("请给出 --room 房间号 或 --id 证件号码 之一。")
    with app.sessions.begin() as session:
        guest = number_or_ref(session, app.ctx, number)
        done = stays.check_out(session, app.ctx, venue, room=room, number=guest, at=at)
        data, text = checkout_result(session, done)
    emit(as_json, data, lambda: text)


def checkout_result(session: Session, done: stays.CheckOut) -> tuple[dict[str, Any], str]:
    rows = []
    lines = [f"已退房：{done.venue.name}"]
    for stay in done.stays:
        guest = done.guests[stay.person_id]
        rows.append(
            {
                "stay_id": stay.id,
                "person": person_data(guest),
                "room": stay.room,
                "checked_in_at": stay.checked_in_at,
                "checked_out_at": stay.checked_out_at,
            }
        )
        lines.append(
            f"  {stay.room} 房 {guest.name} {mask(guest.number)}"
            f"（{cell(stay.checked_in_at)} 至 {cell(stay.checked_out_at)}）"
        )
    data = {
        "venue": {"id": done.venue.id, "name": done.venue.name},
        "stays": rows,
        "findings": [finding_data(f) for f in done.findings],
    }
    return data, joined("\n".join(lines), findings_text(done.findings))


@click.command("frontdesk")
@click.option("--venue", required=True, metavar="V", help=HOTEL_HELP)
@click.option("--reader", "reader_url", required=True, metavar="URL", help="读卡器地址。")
@click.option(
    "--count", type=click.IntRange(1), help="刷卡这么多次后退出（默认一直运行，Ctrl-C 退出）。"
)
@click.option(
    "--station",
    envvar="LAIQU_STATION_URL",
    metavar="URL",
    help="派出所服务地址（https://…，管理员也可给数据库地址）：给出时在后台自动上报"
    "（默认读取 LAIQU_STATION_URL）。",
)
@click.option(
    "--push-every",
    type=click.FloatRange(0.1),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="后台上报的间隔秒数。",
)
@station_options
@json_option
@click.pass_obj
def frontdesk(
    app: App,
    venue: str,
    reader_url: str,
    count: int | None,
    station: str | None,
    push_every: float,
    station_user: str | None,
    token_file: Path | None,
    ca_file: Path | None,
    as_json: bool,
) -> None:
    """小旅馆前台循环：刷证件 → 输入房间号 → 回车，即完成入住。

    刷一位已在本店入住的旅客，回车即办理退房。出错时显示原因并继续等待下一位。
    给出 --station 时在后台上报派出所，刷卡从不等待网络；每位旅客后显示待上报条数和临近时限的提醒。
    """
    with app.sessions.begin() as session:
        hotel = resolve_venue(session, venue)
        venue_id, venue_name = str(hotel.id), hotel.name
    note(f"{venue_name} 前台：请刷身份证（Ctrl-C 退出）")
    log: list[dict[str, Any]] = []
    say = note if as_json else click.echo
    swipes = 0
    target = open_station(app, station, station_user, token_file, ca_file) if station else None
    uploads = (
        BackgroundPush(app.sessions, target, app.ctx, venue_id, push_every).start()
        if target is not None
        else None
    )
    try:
        with reader_at(reader_url) as reader:
            # Reader trouble (card moved, bad frame, unplug, replug) is shown once, and the
            # desk goes on waiting: an unplugged reader is picked up again when it is back.
            reader.on_event = lambda event: note(f"读卡器：{event.message}")
            try:
                while count is None or swipes < count:
                    try:
                        card = reader.read(1.0)
                    except ReaderError:
                        continue  # an outage, already shown once; wait for the replug
                    if card is not None:
                        swipes += 1
                        entry = _serve(app, venue_id, card, say)
                        if entry is not None:
                            log.append(entry)
                        _show_queue(app, say)
            except (KeyboardInterrupt, click.Abort):
                say("")
    finally:
        if uploads is not None:
            uploads.stop()
        if target is not None and not isinstance(target, str):
            target.close()
    ins = sum(1 for e in log if e["action"] == "checkin")
    summary = f"本次共办理入住 {ins} 次、退房 {len(log) - ins} 次。"
    data: dict[str, Any] = {"venue": {"id": venue_id, "name": venue_name}, "actions": log}
    if uploads is not None:
        data["uploads"] = {
            "pushed": uploads.pushed,
            "last_error": uploads.last_error,
            "notices": uploads.notices,
        }
        summary += f"后台已上报 {uploads.pushed} 条。"
    emit(as_json, data, lambda: summary)


def _show_queue(app: App, say: Any) -> None:
    """Pending uploads and deadline warnings: a local read, never the network."""
    with app.sessions() as session:
        for line in queue_lines(session, app.ctx):
            say(line)


def queue_lines(session: Session, ctx: Context) -> list[str]:
    """What the desk shows after each guest: pending uploads and deadlines at risk."""
    s = outbox.summary(session)
    if not s.waiting:
        return ["上报：全部已上报派出所。"]
    age = s.oldest_age(datetime.now(UTC))
    minutes = int(age.total_seconds() // 60) if age else 0
    lines = [f"上报：待上报 {s.waiting} 条，最早一条已等待 {minutes} 分钟。"]
    for due in outbox.due_soon(session, ctx.now(), WARN_BEFORE)[:5]:
        late = due.deadline <= ctx.now()
        when = "已超过上报时限" if late else "即将超过上报时限"
        lines.append(f"警告：{due.room} 房 {due.masked} {when}，请检查网络或导出上报文件。")
    return lines


def _serve(app: App, venue_id: str, card: CardRead, say: Any) -> dict[str, Any] | None:
    """One guest at the desk: check in (room typed) or, if staying here, check out."""
    say(f"读卡：{card.name} {card.masked_number}")
    try:  # short transactions: none is open while the clerk answers
        with app.sessions.begin() as session:
            staying = desk_view.open_stay_by_number(
                session, app.ctx, venue_id, card.number, card.doc_type.value
            )
            room = staying.room if staying is not None else None
        if room is not None:
            if not click.confirm(f"已在 {room} 房入住，办理退房？", default=True, err=True):
                return None
            with app.sessions.begin() as session:
                out = stays.check_out(session, app.ctx, venue_id, number=card.number)
                data, text = checkout_result(session, out)
            say(text)
            return {"action": "checkout", **data}
        room = click.prompt("房间号", err=True).strip()
        with app.sessions.begin() as session:
            done = stays.check_in(session, app.ctx, venue_id, room, [card])
            data = checkin_data(done)
        say(checkin_text(done))
        return {"action": "checkin", **data}
    except click.Abort:
        raise
    except Exception as exc:
        translated = translate(exc)
        if translated is None:
            raise
        note(f"错误：{translated.message}")
        note("请拿开证件后重新刷卡。")
        return None


COMMANDS = [checkin, checkout, frontdesk]
