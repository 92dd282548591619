"""``rule set|show``: the per-jurisdiction rules (deadlines, exemptions, ratios) as data.

Also the Chinese wording of the refusals of issue #3's use cases (rules, permits, studies,
overdue residences), shared by ``cli.permit`` and ``cli.overdue``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import click

from cli.app import App
from cli.errors import translate
from cli.output import emit, json_option, record, table
from cli.params import DAY
from registry.errors import RegistryError
from registry.matching import rules

# (pattern of a core message, Chinese wording); groups are substituted in order.
PHRASES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), t)
    for p, t in [
        (r"^unknown rule '(.+)'; rules are (.+)", "没有规则 {0}；可用的规则：{1}"),
        (
            r"^rule (\S+) must be between (\d+) and (\d+), not (-?\d+)",
            "规则 {0} 的取值须在 {1} 到 {2} 之间（收到 {3}）",
        ),
        (
            r"^a rule takes effect from today \((\S+)\) or later, not (\S+)",
            "规则只能自今天（{0}）或以后生效，不能追溯到 {1}：已有记录不改写",
        ),
        (
            r"^(\S+) is not eligible for a residence permit: (.+); eligible from (\S+)$",
            "{0} 不符合申领居住证条件：{1}；预计自 {2} 起符合",
        ),
        (r"^(\S+) is not eligible for a residence permit: (.+)$", "{0} 不符合申领居住证条件：{1}"),
        (r"^(\S+) already holds residence permit (\S+)", "{0} 已持有居住证 {1}"),
        (r"^residence permit number (\S+) is already used", "居住证号码 {0} 已被使用"),
        (r"^a permit number has 1 to 40 characters", "居住证号码应为 1 到 40 个字符"),
        (r"^the (?:issue|endorsement) day (\S+) is in the future", "日期 {0} 还没到"),
        (r"^(\S+) holds no residence permit", "{0} 未持有居住证"),
        (r"^the endorsement day is before the issue day (\S+)", "签注日期早于发证日期 {0}"),
        (
            r"^permit (\S+) can be endorsed from (\S+) to (\S+), not yet on (\S+)",
            "居住证 {0} 的签注期为 {1} 至 {2}，{3} 尚未到签注期",
        ),
        (
            r"^(\S+) has no registered residence in (\S+) on (\S+);",
            "{0} 在 {2} 没有{1}的有效居住登记，居住证只在居住期间签注",
        ),
        (r"^the number of days must be between 1 and 366", "天数须在 1 到 366 之间"),
        (r"^(\S+) has no open residence", "{0} 没有有效的居住登记"),
        (
            r"^(\S+) has (\d+) open residences; name the house",
            "{0} 有 {1} 处有效居住登记，请用 --house 指定房屋",
        ),
        (r"^a cancellation needs a reason", "注销须写明原因（--reason）"),
        (
            r"^this residence is not overdue",
            "此居住登记未超期（没有计划居住期限，或期限未过）；人已离开请办理迁出（laiqu moveout）",
        ),
        (r"^the departure day (\S+) is in the future", "离开日期 {0} 还没到"),
        (r"^the departure day is before the move-in day (\S+)", "离开日期早于迁入日期 {0}"),
        (r"^the new planned end (\S+) has already passed", "新的计划居住期限 {0} 已经过去"),
        (r"^the planned end must be after the move-in day", "计划居住期限须晚于迁入日期"),
        (r"^the planned end is already (\S+)", "计划居住期限已经是 {0}"),
        (r"^a study record needs the school's name", "就读记录需要学校名称（--school）"),
        (r"^the school's name is longer than 200", "学校名称超过 200 个字符"),
        (r"^(\S+) already studies at (.+) from (\S+)", "{0} 自 {2} 起已在{1}就读"),
        (r"^(\S+) does not study at (.+) on (\S+)", "{0} 在 {2} 未在{1}就读"),
        (r"^the end of the study must be after its start", "毕业（离校）日期须晚于入学日期"),
        (r"^the start day (\S+) is in the future", "日期 {0} 还没到"),
    ]
]


@contextmanager
def chinese() -> Iterator[None]:
    """Refusals of these use cases as one Chinese sentence (others go to ``cli.errors``)."""
    try:
        yield
    except RegistryError as exc:
        for pattern, template in PHRASES:
            found = pattern.search(str(exc))
            if found:
                refusal = translate(type(exc)(template.format(*found.groups())))
                if refusal is not None:
                    raise refusal from exc
        raise


def _value(text: str) -> int | None:
    if text.strip().lower() in ("inherit", "-", "继承"):
        return None
    try:
        return int(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} 不是整数；用 inherit 表示恢复继承上级", param_hint="VALUE"
        ) from None


@click.group("rule")
def rule() -> None:
    """登记规则（期限、豁免、比例）：按辖区设置，下级继承，自生效日起适用。"""


@rule.command("set")
@click.argument("name", type=click.Choice(list(rules.LIMITS)), metavar="NAME")
@click.argument("value", metavar="VALUE")
@click.option("--jurisdiction", "code", required=True, metavar="CODE", help="设置规则的辖区。")
@click.option("--from", "day", type=DAY, help="生效日期 YYYY-MM-DD（默认今天，不能早于今天）。")
@click.option("--note", help="备注（如依据的文件）。")
@json_option
@click.pass_obj
def rule_set(
    app: App, name: str, value: str, code: str, day: date | None, note: str | None, as_json: bool
) -> None:
    """设置一条规则：NAME 为规则名，VALUE 为整数，或 inherit 恢复继承上级。

    规则名见 laiqu rule show。修改只追加新记录，自生效日起适用，已算出的期限不改写。
    """
    number = _value(value)
    with chinese(), app.sessions.begin() as session:
        row = rules.set_rule(session, app.ctx, code, name, number, effective_from=day, note=note)
        data = {
            "id": row.id,
            "jurisdiction": code,
            "name": name,
            "value": number,
            "effective_from": row.effective_from,
            "set_by": row.set_by,
            "set_at": row.set_at,
        }
    shown = "继承上级" if number is None else str(number)
    emit(
        as_json,
        data,
        lambda: (
            f"已设置：辖区 {code} 的 {rules.LIMITS[name][2]}（{name}）= {shown}，"
            f"自 {data['effective_from']} 起生效"
        ),
    )


@rule.command("show")
@click.option("--jurisdiction", "code", required=True, metavar="CODE", help="查看的辖区。")
@click.option("--on", "day", type=DAY, help="查看哪一天生效的规则（默认今天）。")
@click.option("--history", is_flag=True, help="同时列出本辖区及上级辖区的全部设置记录。")
@json_option
@click.pass_obj
def rule_show(app: App, code: str, day: date | None, history: bool, as_json: bool) -> None:
    """某辖区某天生效的全部规则，以及每条规则由哪一级辖区设置（或为全国默认值）。"""
    on = day or app.ctx.today()
    with chinese(), app.sessions() as session:
        from registry.places.jurisdictions import get_jurisdiction

        get_jurisdiction(session, code)
        in_force = rules.effective(session, code, on)
        rows = [
            {
                "name": name,
                "label": label,
                "value": in_force.value(name),
                "set_at_jurisdiction": in_force.source(name),
                "default": getattr(rules.DEFAULTS, name),
            }
            for name, (_low, _high, label) in rules.LIMITS.items()
        ]
        settings = [
            {
                "jurisdiction": r.jurisdiction_code,
                "name": r.name,
                "value": r.value,
                "effective_from": r.effective_from,
                "set_by": r.set_by,
                "set_at": r.set_at,
                "note": r.note,
            }
            for r in (rules.settings(session, code) if history else [])
        ]
    data: dict[str, Any] = {"jurisdiction": code, "on": on, "rules": rows}
    if history:
        data["history"] = settings

    def text() -> str:
        out = [
            record([("辖区", code), ("日期", on)]),
            "",
            table(
                ["规则", "说明", "取值", "来源"],
                [
                    [r["name"], r["label"], r["value"], r["set_at_jurisdiction"] or "全国默认"]
                    for r in rows
                ],
            ),
        ]
        if history:
            out += [
                "",
                table(
                    ["辖区", "规则", "取值", "生效日期", "设置人", "设置时间", "备注"],
                    [
                        [
                            s["jurisdiction"],
                            s["name"],
                            "继承上级" if s["value"] is None else s["value"],
                            s["effective_from"],
                            s["set_by"],
                            s["set_at"],
                            s["note"],
                        ]
                        for s in settings
                    ],
                ),
            ]
        return "\n".join(out)

    emit(as_json, data, text)
