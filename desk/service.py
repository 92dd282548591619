"""The desk page's actions, framework-free: each is one short transaction through the core.

Everything returned is for the page: names, masked numbers, Chinese labels; never a full
ID number. A typed (manual) number comes in from the clerk and goes out masked.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from desk.errors import DeskRefusal, chinese, retry_busy
from desk.reader import ReaderLoop, Swipe
from registry.context import Context
from registry.db.models import Finding
from registry.errors import NotFound, RegistryError
from registry.identity.cards import CardRead
from registry.identity.ids import mask, parse
from registry.lookup import desk as desk_lookup
from registry.matching.codes import CODES
from registry.messages import phrase
from registry.movements import stays
from registry.people.find import find_person
from registry.people.registration import Identity, TypedIdentity
from registry.places.venues import resolve_venue
from registry.sync.background import BackgroundPush

T = TypeVar("T")
CAPTURES = {"chip": "读卡", "manual": "手工"}
GENDERS = {"0": "未知", "1": "男", "2": "女", "9": "未说明"}


@dataclass
class Timings:
    """Server time per page action, in milliseconds (bench/desk_page.py reads them)."""

    actions: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, ms: float) -> None:
        self.actions.setdefault(name, []).append(ms)


class Desk:
    """One venue's desk: the sessions, the acting context, the reader loop, the uploads."""

    def __init__(self, sessions: sessionmaker[Session], ctx: Context, venue: str,
                 loop: ReaderLoop, push: BackgroundPush | None = None,
                 decoder: Callable[[bytes], bytes] | None = None) -> None:
        self.sessions, self.ctx, self.loop, self.push = sessions, ctx, loop, push
        self.decoder = decoder
        self.timings = Timings()
        self._secret = secrets.token_bytes(16)
        self.instance = uuid.uuid4().hex  # this process: a page seeing another one starts anew
        with self.sessions.begin() as session:
            found = resolve_venue(session, venue)
            self.venue_id, self.venue_name = str(found.id), found.name

    def _tx(self, name: str, work: Callable[[Session], T]) -> T:
        """One short transaction (retried whole while SQLite is busy), timed."""
        started = time.perf_counter()

        def once() -> T:
            with self.sessions.begin() as session:
                return work(session)

        try:
            return retry_busy(once)
        finally:
            self.timings.add(name, (time.perf_counter() - started) * 1000)

    # --- reader ------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        snap = self.loop.snapshot()
        last: Swipe | None = snap["last"]
        return {
            "version": snap["version"],
            "instance": self.instance,
            "venue": self.venue_name,
            "reader": {
                "connected": snap["connected"],
                "card_present": self.loop.card_present,
                "url": self.loop.url.split("?")[0],
            },
            "card": self.card_data(last) if last else None,
            "notices": [
                {"id": n.id, "kind": n.kind, "message": n.message, "at": _hm(n.at, self.ctx)}
                for n in snap["notices"]
            ],
        }

    def card_data(self, swipe: Swipe) -> dict[str, Any]:
        card = swipe.card
        today = self.ctx.today()
        return {
            "token": swipe.token,
            "person": self.person_key(card.number),
            "seq": swipe.seq,
            "name": card.name,
            "gender": GENDERS.get(card.gender, card.gender),
            "birth_date": card.birth_date.isoformat(),
            "masked": card.masked_number,
            "doc_type": card.doc_type.label,
            "valid_from": card.valid_from.isoformat() if card.valid_from else None,
            "valid_to": card.valid_to.isoformat() if card.valid_to else "长期",
            "expired": card.expired_on(today),
            "photo": "decoded" if (card.photo and self.decoder) else
                     ("raw" if card.photo else "none"),
            "read_at": _hm(swipe.at, self.ctx, seconds=True),
        }

    def person_key(self, number: str) -> str:
        """The same person's cards alike (a repeat swipe), never the number: a keyed hash
        under this process's secret."""
        return hmac.new(self._secret, number.upper().encode(), hashlib.sha256).hexdigest()[:16]

    def photo(self, token: str) -> bytes:
        from drivers.photo import decode_photo

        swipe = self.loop.swipe(token)
        if swipe is None or not swipe.card.photo or self.decoder is None:
            raise DeskRefusal("没有可显示的照片。", 404)
        return decode_photo(swipe.card.photo, self.decoder)

    def staying(self, token: str) -> dict[str, Any] | None:
        """Where the swiped guest is staying here now (then the page offers check-out)."""
        swipe = self._swipe(token)

        def work(session: Session) -> dict[str, Any] | None:
            try:
                person = find_person(session, swipe.card.number)
            except NotFound:
                return None
            stay = desk_lookup.open_stay_of(session, self.ctx, self.venue_id, person.id)
            return {"room": stay.room, "stay_id": str(stay.id)} if stay else None

        return self._tx("staying", work)

    def _swipe(self, token: str) -> Swipe:
        swipe = self.loop.swipe(token)
        if swipe is None:
            raise DeskRefusal("这张证件的读卡信息已失效，请重新刷卡。", 404)
        return swipe

    def check_number(self, number: str, doc_type: str | None, name: str) -> dict[str, Any]:
        """A typed number checked as soon as it is added (its check digit, its shape)."""
        who = name.strip() or "该旅客"
        try:
            found = parse(number, doc_type or None)
        except RegistryError as exc:
            said = chinese(phrase(str(exc))).rstrip("。")
            raise DeskRefusal(f"{who}的证件号码有误：{said}。请核对后重新输入。") from exc
        return {"masked": mask(found.number), "doc_type": found.doc_type.label}

    # --- actions -----------------------------------------------------------------------------

    def check_in(self, room: str, guests: list[dict[str, str]],
                 expected: date | None = None) -> dict[str, Any]:
        if not room.strip():
            raise DeskRefusal("请选择房间。")
        if not guests:
            raise DeskRefusal("请先刷身份证或手工录入旅客。")
        party: list[Identity] = []
        for g in guests:
            if g.get("token"):
                card: CardRead = self._swipe(g["token"]).card
                party.append(card)
            else:
                number, name = (g.get("number") or "").strip(), (g.get("name") or "").strip()
                if not number or not name:
                    raise DeskRefusal("手工录入需要证件号码和姓名。")
                kind = (g.get("doc_type") or "").strip() or None
                country = (g.get("nationality") or "").strip().upper() or None
                party.append(TypedIdentity(number=number.upper(), name=name, doc_type=kind,
                                           nationality=country))

        def work(session: Session) -> dict[str, Any]:
            done = stays.check_in(session, self.ctx, self.venue_id, room.strip(), party,
                                  expected_checkout=expected)
            who = {g.person.id: f"{g.person.name} {mask(g.person.number)}" for g in done.guests}
            return {
                "message": f"已入住：{done.venue.name} {done.room} 房",
                "room": done.room,
                "guests": [
                    {"name": g.person.name, "masked": mask(g.person.number),
                     "capture": CAPTURES.get(g.capture, g.capture), "created": g.created}
                    for g in done.guests
                ],
                "warnings": [phrase(w) for w in done.warnings],
                "findings": [finding_data(f, who) for f in desk_lookup.findings_for_desk(
                    session, uuid.UUID(self.venue_id), list(done.findings))],
                "slip": f"/api/slip/{done.stays[0].id}.pdf",
            }

        return self._tx("checkin", work)

    def check_out(self, room: str | None = None, stay_id: str | None = None) -> dict[str, Any]:
        if (room is None) == (stay_id is None):
            raise DeskRefusal("请给出房间或一位旅客。")

        def work(session: Session) -> dict[str, Any]:
            if stay_id is not None:
                guest = desk_lookup.stay_of(session, self.ctx, self.venue_id, _uuid(stay_id))
                done = stays.check_out(session, self.ctx, self.venue_id,
                                       number=guest.person.number)
            else:
                done = stays.check_out(session, self.ctx, self.venue_id, room=room)
            names = [f"{s.room} 房 {done.guests[s.person_id].name}" for s in done.stays]
            return {
                "message": "已退房：" + "，".join(names),
                "findings": [finding_data(f) for f in desk_lookup.findings_for_desk(
                    session, uuid.UUID(self.venue_id), list(done.findings))],
            }

        return self._tx("checkout", work)

    def house(self) -> dict[str, Any]:
        def work(session: Session) -> dict[str, Any]:
            view = desk_lookup.desk_view(session, self.ctx, self.venue_id)
            who = {g.person.id: f"{g.person.name} {mask(g.person.number)}"
                   for g in view.in_house}
            return {
                "venue": view.venue.name,
                "today": self.ctx.today().isoformat(),
                "rooms": [
                    {"number": r.number, "occupied": r.occupied,
                     "guests": [self._guest(g) for g in r.guests]}
                    for r in view.rooms
                ],
                "arrivals": [self._guest(g) for g in view.arrivals],
                "departures": [self._guest(g) for g in view.departures],
                "findings": [finding_data(f, who) for f in view.findings],
            }

        return self._tx("house", work)

    def _guest(self, g: desk_lookup.Guest) -> dict[str, Any]:
        s = g.stay
        return {
            "stay_id": str(s.id),
            "room": s.room,
            "name": g.person.name,
            "masked": mask(g.person.number),
            "capture": CAPTURES.get(s.capture, s.capture),
            "checked_in_at": _hm(s.checked_in_at, self.ctx),
            "checked_out_at": _hm(s.checked_out_at, self.ctx) if s.checked_out_at else None,
        }

    def slip(self, stay_id: str) -> bytes:
        from desk.slip import render_slip

        def work(session: Session) -> bytes:
            guest = desk_lookup.stay_of(session, self.ctx, self.venue_id, _uuid(stay_id))
            party = desk_lookup.party_of(session, guest.stay)
            return render_slip(self.venue_name, party, self.ctx)

        return self._tx("slip", work)

    def upload(self) -> dict[str, Any]:
        from desk.status import upload_state

        data = self._tx("upload", lambda s: upload_state(s, self.ctx, self.venue_id))
        data["station"] = self.push is not None
        if self.push is not None:
            data["pushed"] = self.push.pushed
            error = self.push.last_error
            data["push_error"] = chinese(error) if error else None
        return data


def finding_data(f: Finding, who: dict[uuid.UUID, str] | None = None) -> dict[str, Any]:
    info = CODES.get(f.code)
    person = (who or {}).get(f.person_id) if f.person_id else None
    return {
        "code": f.code,
        "label": info.label if info else f.code,
        "matching": info.matching if info else "",
        "severity": f.severity,
        "detail": phrase(f.detail or ""),
        "who": person,
    }


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise DeskRefusal("无效的登记编号。", 404) from exc


def _hm(at: datetime | None, ctx: Context, seconds: bool = False) -> str:
    if at is None:
        return ""
    local = at.astimezone(ctx.zone)
    return local.strftime("%H:%M:%S" if seconds else "%m-%d %H:%M")
