"""The thin ``permit``, ``rule`` and ``overdue`` command groups over the use cases."""

import json
from datetime import date

import pytest
from click.testing import CliRunner

from cli.app import App
from cli.overdue import overdue
from cli.permit import permit
from cli.rules import rule
from registry.movements import residences
from tests.rules.town import CITY, GRID, at, build, rid, who


@pytest.fixture
def run(db_url, ctx):
    app = App(db_url, ctx)
    runner = CliRunner()

    def invoke(group, *args, ok=True):
        result = runner.invoke(group, list(args), obj=app)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    yield invoke
    app.close()


def test_rule_set_and_show(run, sf, ctx):
    build(sf, ctx)
    out = run(rule, "set", "movein_days", "5", "--jurisdiction", CITY).output
    assert "自 2026-06-15 起生效" in out
    shown = json.loads(run(rule, "show", "--jurisdiction", GRID, "--json", "--history").output)
    movein = next(r for r in shown["rules"] if r["name"] == "movein_days")
    assert (movein["value"], movein["set_at_jurisdiction"]) == (5, CITY)
    assert [h["value"] for h in shown["history"]] == [5]
    text = run(rule, "show", "--jurisdiction", GRID).output
    assert "全国默认" in text and "迁入后申报居住登记期限" in text
    bad = run(
        rule, "set", "movein_days", "5", "--jurisdiction", CITY, "--from", "2026-01-01", ok=False
    )
    assert bad.exit_code == 1 and "不能追溯到 2026-01-01" in bad.output
    bad = run(rule, "set", "movein_days", "500", "--jurisdiction", CITY, ok=False)
    assert bad.exit_code == 1 and "取值须在 0 到 90 之间" in bad.output


def test_permit_commands(run, sf, ctx):
    town = build(sf, ctx)
    number = rid()
    with sf.begin() as s:
        residences.move_in(s, at(ctx, date(2025, 3, 1)), town.filed, who(number))
    short = rid("002")
    with sf.begin() as s:
        residences.move_in(s, at(ctx, date(2026, 3, 1)), town.filed, who(short, "李四"))
    out = run(permit, "eligible", "--id", short).output
    assert "预计自 2026-09-01 起符合" in out and "[不符合] 在本市居住登记满 6 个月" in out
    refused = run(permit, "issue", "--id", short, ok=False)
    assert refused.exit_code == 1 and "不符合申领条件，未签发" in refused.output
    data = json.loads(run(permit, "eligible", "--id", number, "--json").output)
    assert data["eligible"] and data["eligible_from"] == "2025-09-01"
    issued = json.loads(run(permit, "issue", "--id", number, "--number", "JZ1", "--json").output)
    assert issued["number"] == "JZ1" and issued["due_on"] == "2027-06-15"
    assert issued["person"]["id_number"] != number  # masked
    early = run(permit, "endorse", "--id", number, ok=False)
    assert early.exit_code == 1 and "签注期为 2027-05-15 至 2027-06-14" in early.output
    assert "居住证号码" in run(permit, "show", "--id", number).output
    assert json.loads(run(permit, "due", "--json").output) == {"permits": []}
    assert "没有已中止的居住证" in run(permit, "suspended").output
    again = run(permit, "issue", "--id", number, ok=False)
    assert again.exit_code == 1 and "已持有居住证 JZ1" in again.output
    added = run(
        permit,
        "study",
        "add",
        "--id",
        short,
        "--school",
        "深圳大学",
        "--jurisdiction",
        GRID,
        "--from",
        "2025-09-01",
    )
    assert "已登记就读" in added.output


def test_overdue_commands(run, sf, ctx):
    town = build(sf, ctx)
    with sf.begin() as s:
        residences.move_in(
            s, at(ctx, date(2026, 5, 1)), town.house, who(rid()), planned_end=date(2026, 6, 1)
        )
    listed = json.loads(run(overdue, "list", "--json").output)
    assert [r["days_over"] for r in listed["residences"]] == [14]
    refused = run(
        overdue, "cancel", "--id", rid(), "--reason", "走了", "--on", "2026-04-01", ok=False
    )
    assert refused.exit_code == 1 and "离开日期早于迁入日期 2026-05-01" in refused.output
    assert "已延期" in run(overdue, "extend", "--id", rid(), "--until", "2026-07-01").output
    assert "没有超期未注销" in run(overdue, "list").output
