"""``checkin cancel|move`` and ``movein cancel``: correcting a mistaken check-in or move-in.

``checkin`` and ``movein`` register when given options; their first word may instead name an
action (``WithActions``): ``laiqu checkin cancel …`` voids a check-in (never deletes it),
``laiqu checkin move …`` changes a guest's room, ``laiqu movein cancel …`` voids a move-in.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from cli.app import App
from cli.output import emit, json_option
from cli.params import HOTEL_HELP, HOUSE_HELP, PERSON, PERSON_HELP, person_of
from registry.identity.ids import mask
from registry.movements import residences, stays


class WithActions(click.Command):
    """A command whose first argument may name an action (a command of its own).

    ``actions`` names a dict of ``cli.corrections`` (``"CHECKIN_ACTIONS"``), read only when an
    action is asked for, so registering stays as cheap as a plain command.
    """

    def __init__(self, *args: Any, actions: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actions_name = actions

    def actions(self) -> dict[str, click.Command]:
        found: dict[str, click.Command] = getattr(
            importlib.import_module("cli.corrections"), self.actions_name
        )
        return found

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        if args and not args[0].startswith("-"):
            action = self.actions().get(args[0])
            if action is not None:
                name = f"{info_name} {args[0]}" if info_name else args[0]
                return action.make_context(name, args[1:], parent=parent, **extra)
        return super().make_context(info_name, args, parent=parent, **extra)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        with formatter.section("更正"):
            formatter.write_dl(
                [
                    (f"{ctx.info_name} {n}", c.get_short_help_str(60))
                    for n, c in self.actions().items()
                ]
            )


REASON_HELP = "作废原因（必填，最多 200 字），记入日志和审计日志。"


@click.command("cancel")
@click.option("--venue", required=True, metavar="V", help=HOTEL_HELP)
@click.option("--id", "number", required=True, type=PERSON, help=f"旅客。{PERSON_HELP}")
@click.option("--reason", required=True, help=REASON_HELP)
@json_option
@click.pass_obj
def checkin_cancel(app: App, venue: str, number: str, reason: str, as_json: bool) -> None:
    """作废一次误登记的入住（不删除）：在住的那次，否则最近一次。

    作废后该住宿不再计入在住、问题、报表和查询；已上报派出所的，作废也会上报。
    """
    with app.sessions.begin() as session:
        who = person_of(session, app.ctx, number)
        done = stays.cancel_check_in(session, app.ctx, venue, str(who.id), reason=reason)
        data = {
            "stay_id": done.stay.id,
            "venue": {"id": done.venue.id, "name": done.venue.name},
            "room": done.stay.room,
            "person": {"id": done.person.id, "masked": mask(done.person.number)},
            "voided_at": done.stay.voided_at,
            "reason": done.stay.void_reason,
            "findings_resolved": done.resolved,
        }
    emit(
        as_json,
        data,
        lambda: (
            f"已作废入住：{done.person.name} {mask(done.person.number)}，"
            f"{done.venue.name} {done.stay.room} 房间（原因：{done.stay.void_reason}）"
            + (f"；随之解除 {done.resolved} 个问题" if done.resolved else "")
        ),
    )


@click.command("move")
@click.option("--venue", required=True, metavar="V", help=HOTEL_HELP)
@click.option("--id", "number", required=True, type=PERSON, help=f"旅客。{PERSON_HELP}")
@click.option("--room", required=True, metavar="R", help="换到的房间号。")
@json_option
@click.pass_obj
def checkin_move(app: App, venue: str, number: str, room: str, as_json: bool) -> None:
    """在住旅客换房（同一旅馆内）；原房间记入日志。"""
    with app.sessions.begin() as session:
        who = person_of(session, app.ctx, number)
        done = stays.move_room(session, app.ctx, venue, str(who.id), room)
        data = {
            "stay_id": done.stay.id,
            "venue": {"id": done.venue.id, "name": done.venue.name},
            "room_from": done.old_room,
            "room": done.stay.room,
            "person": {"id": done.person.id, "masked": mask(done.person.number)},
        }
    emit(
        as_json,
        data,
        lambda: (
            f"已换房：{done.person.name} {mask(done.person.number)}，{done.venue.name} "
            f"{done.old_room} → {done.stay.room}"
        ),
    )


@click.command("cancel")
@click.option("--house", required=True, metavar="H", help=HOUSE_HELP)
@click.option("--id", "number", required=True, type=PERSON, help=f"迁入人。{PERSON_HELP}")
@click.option("--reason", required=True, help=REASON_HELP)
@json_option
@click.pass_obj
def movein_cancel(app: App, house: str, number: str, reason: str, as_json: bool) -> None:
    """作废一次误登记的迁入（不删除）：在住的那次，否则最近一次。

    作废后该居住登记不再计入居住人数、逾期、问题、报表和查询；已上报的，作废也会上报。
    """
    with app.sessions.begin() as session:
        who = person_of(session, app.ctx, number)
        done = residences.cancel_move_in(session, app.ctx, house, str(who.id), reason=reason)
        data = {
            "residence_id": done.residence.id,
            "house": {"id": done.house.id, "address": done.house.address},
            "person": {"id": done.person.id, "masked": mask(done.person.number)},
            "voided_at": done.residence.voided_at,
            "reason": done.residence.void_reason,
            "findings_resolved": done.resolved,
        }
    emit(
        as_json,
        data,
        lambda: (
            f"已作废迁入：{done.person.name} {mask(done.person.number)} → "
            f"{done.house.address}（原因：{done.residence.void_reason}）"
            + (f"；随之解除 {done.resolved} 个问题" if done.resolved else "")
        ),
    )


CHECKIN_ACTIONS: dict[str, click.Command] = {"cancel": checkin_cancel, "move": checkin_move}
MOVEIN_ACTIONS: dict[str, click.Command] = {"cancel": movein_cancel}
