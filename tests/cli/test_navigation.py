"""From a list row to the record (issue 19): references, search of houses and venues,
house/employer list|show, guests, finding show|ack, person correct, check naming places.

On both engines (``db_url``) through CliRunner; the scope of a coordinator on SQLite, where
the identity is the OS account.
"""

from __future__ import annotations

import getpass
import re
from datetime import datetime

import sqlalchemy as sa
from laiqu_helpers import NOW_ENV, A, B, Laiqu, build_city, number

from registry.context import Context
from registry.db.access_models import AuditEntry
from registry.db.engine import make_engine, session_factory
from registry.people import registration
from tests.registry.city import card

NOW = Context(actor="tester", terminal="t", now_fixed=datetime.fromisoformat(NOW_ENV))
FULL = re.compile(r"\d{17}[\dX]")


def twins() -> tuple[str, str]:
    """Two valid numbers whose last 4 characters are the same (born on different days)."""
    first = number("110105", "19880314", 111)
    for day in range(1, 29):
        other = number("440106", f"199002{day:02d}", 111)
        if other[-4:] == first[-4:]:
            return first, other
    raise AssertionError("no twin found")


def audit_actions(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.seq)))
    finally:
        engine.dispose()


def test_a_list_row_leads_to_the_record(db_url: str) -> None:
    run = Laiqu(db_url)
    build_city(run)
    one, two = twins()
    run("checkin", "--venue", "天平宾馆", "--room", "101", "--id", one, "--name", "张三")
    run("person", "add", "--id", two, "--name", "李四")
    run("person", "add", "--id", B, "--name", "赵六")
    found = run.json("person", "search", "zs")["persons"]
    pid = found[0]["id"]
    # The full id, an 8-character prefix (as lists print it), the full number, unique digits.
    for ref in (pid, pid[:8], pid[:13], pid.replace("-", ""), one):
        assert run.json("person", "show", ref)["id"] == pid
    assert run.json("person", "show", B[-6:])["name"] == "赵六"
    assert run.json("person", "show", B[-4:])["name"] == "赵六"
    assert run.json("person", "history", pid[:8])["history"][0]["place"] == "天平宾馆"
    text = run("person", "search", "zs").stdout
    assert pid[:8] in text and one not in text
    # Last digits shared by two persons: a 错误 line listing both, masked, with prefixes.
    both = run("person", "show", one[-4:], ok=False)
    assert both.exit_code == 1 and both.stderr.startswith("错误：")
    assert "张三" in both.stderr and "李四" in both.stderr and "[" in both.stderr
    assert not FULL.search(both.stderr) and "Traceback" not in both.stderr
    prefix = re.findall(r"\[([0-9a-f]{8,})\]", both.stderr)
    assert len(prefix) == 2
    assert {run.json("person", "show", p)["name"] for p in prefix} == {"张三", "李四"}
    # The masked number a list shows is a reference too.
    assert run.json("person", "show", found[0]["id_number"])["id"] == pid
    short = run("person", "show", "111", ok=False)
    assert short.exit_code == 1 and "至少要给出 4 位" in short.stderr
    nobody = run("person", "show", "9999", ok=False)
    assert nobody.exit_code == 1 and "没有与" in nobody.stderr
    bad = run("person", "show", "张", ok=False)
    assert bad.exit_code == 1 and "错误：" in bad.stderr
    assert "person.candidates" in audit_actions(db_url)


def test_overdue_and_permit_take_references(db_url: str) -> None:
    run = Laiqu(db_url)
    build_city(run)
    run(
        "movein", "--house", "TP-88-3-201", "--id", A, "--name", "张三",
        "--on", "2026-01-05", "--until", "2026-03-01",
    )  # fmt: skip
    rows = run.json("overdue", "list")["residences"]
    assert len(rows) == 1
    ref = str(rows[0]["person_id"])[:8]
    assert ref in run("overdue", "list").stdout
    done = run.json("overdue", "extend", "--id", ref, "--until", "2026-12-31")
    assert done["planned_end"] == "2026-12-31" and done["id_number"] != A
    assert run.json("permit", "eligible", "--id", A[-5:])["person"]["name"] == "张三"


def test_search_finds_houses_with_tenants_and_venues(db_url: str) -> None:
    run = Laiqu(db_url)
    build_city(run)
    run("movein", "--house", "TP-88-3-201", "--id", A, "--name", "张三", "--on", "2026-06-10")
    found = run.json("person", "search", "天平路")
    [house] = found["houses"]
    assert house["address"] == "天平路 88 弄 3 号 201 室"
    assert [t["name"] for t in house["tenants"]] == ["张三"]
    assert house["tenants"][0]["id_number"] != A
    text = run("person", "search", "天平路").stdout
    assert "房屋" in text and "张三" in text and house["id"][:8] in text and A not in text
    venues = run.json("person", "search", "天平宾馆")["venues"]
    assert [v["name"] for v in venues] == ["天平宾馆"]
    assert "场所" in run("person", "search", "天平宾馆").stdout


def test_house_and_employer_lists_and_files(db_url: str) -> None:
    run = Laiqu(db_url)
    city = build_city(run)
    run("movein", "--house", "TP-88-3-201", "--id", A, "--name", "张三", "--on", "2026-06-01")
    run("movein", "--house", "TP-88-3-201", "--id", B, "--name", "李四", "--on", "2026-05-01")
    run("moveout", "--house", "TP-88-3-201", "--id", B[-4:], "--on", "2026-06-10")
    listed = run.json("house", "list")["houses"]
    assert [(h["address"], h["tenants"]) for h in listed] == [("天平路 88 弄 3 号 201 室", 1)]
    assert city["house"][:8] in run("house", "list").stdout
    shown = run.json("house", "show", city["house"][:8])
    assert [t["person"]["name"] for t in shown["tenants"]] == ["张三"]
    assert [t["person"]["name"] for t in shown["past_tenants"]] == ["李四"]
    assert {f["code"] for f in shown["findings"]} >= {"PH-UNFILED"}
    text = run("house", "show", "TP-88-3-201").stdout
    assert "现住人员（1）" in text and "曾住人员（1）" in text and A not in text
    run("job", "start", "--employer", "迅达快递", "--id", A, "--on", "2026-06-02")
    employers = run.json("employer", "list")["employers"]
    assert [(e["name"], e["employees"]) for e in employers] == [("迅达快递", 1)]
    file = run.json("employer", "show", city["employer"][:8])
    assert [j["person"]["name"] for j in file["employees"]] == ["张三"]
    assert "在岗人员（1）" in run("employer", "show", "迅达快递").stdout
    missing = run("house", "show", "nowhere", ok=False)
    assert missing.exit_code == 1 and missing.stderr.startswith("错误：")
    actions = audit_actions(run.url)
    assert {"house.listed", "house.viewed", "employer.listed", "employer.viewed"} <= set(actions)


def test_guests_now_and_today(db_url: str) -> None:
    run = Laiqu(db_url)
    build_city(run)
    run("checkin", "--venue", "天平宾馆", "--room", "101", "--id", A, "--name", "张三")
    run("checkin", "--venue", "天平宾馆", "--room", "102", "--id", B, "--name", "李四")
    run("checkout", "--venue", "天平宾馆", "--room", "102")
    at_venue = run.json("guests", "--venue", "天平宾馆")
    assert [g["person"]["name"] for g in at_venue["now"]] == ["张三"]
    assert {g["person"]["name"] for g in at_venue["arrived_today"]} == {"张三", "李四"}
    assert [g["person"]["name"] for g in at_venue["left_today"]] == ["李四"]
    around = run.json("guests", "--jurisdiction", "310104")
    assert [g["room"] for g in around["now"]] == ["101"]
    text = run("guests").stdout
    assert "在住 1 人" in text and A not in text and "张三" in text
    both = run("guests", "--venue", "天平宾馆", "--jurisdiction", "310104", ok=False)
    assert both.exit_code == 2 and "只能给出一个" in both.output
    assert "venue.guests" in audit_actions(run.url)


def test_findings_are_shown_acknowledged_and_corrected(db_url: str) -> None:
    run = Laiqu(db_url)
    build_city(run)
    run("movein", "--house", "TP-88-3-201", "--id", A, "--name", "张三", "--on", "2026-05-01")
    engine = make_engine(db_url)
    try:
        with session_factory(engine).begin() as s:  # the chip says another name
            registration.register(s, NOW, card(A, "张叁"))
    finally:
        engine.dispose()
    check = run.json("check")
    codes = {f["code"] for f in check["findings"]}
    assert {"PH-LATE", "PC-DISAGREE", "PH-UNFILED"} <= codes
    places = {f["code"]: f["place"] for f in check["findings"]}
    assert places["PH-UNFILED"] == "天平路 88 弄 3 号 201 室"
    assert places["PJ-HEADCOUNT"] == "迅达快递"
    text = run("check").stdout
    assert "迅达快递" in text and "天平路 88 弄 3 号 201 室" in text
    assert "findings.checked" in audit_actions(db_url)
    late = next(f for f in check["findings"] if f["code"] == "PH-LATE")
    shown = run.json("finding", "show", late["id"][:8])
    assert shown["findings"][0]["place"] == "天平路 88 弄 3 号 201 室"
    by_person = run.json("finding", "show", A[-4:])
    assert {f["code"] for f in by_person["findings"]} >= {"PH-LATE", "PC-DISAGREE"}
    # PC-DISAGREE resolves by itself only: ack refuses and says how.
    disagree = next(f for f in check["findings"] if f["code"] == "PC-DISAGREE")
    refused = run("finding", "ack", disagree["id"][:8], "--note", "x", ok=False)
    assert refused.exit_code == 1 and "person correct" in refused.stderr
    # The person's one acknowledgeable finding, by the person's last digits.
    done = run.json("finding", "ack", A[-4:], "--note", "已对房东进行告知")
    assert done["code"] == "PH-LATE" and done["resolved_at"] and done["resolution"]
    again = run("finding", "ack", late["id"][:8], "--note", "x", ok=False)
    assert again.exit_code == 1 and "已经处理过" in again.stderr
    assert "PH-LATE" not in {f["code"] for f in run.json("finding", "list")["findings"]}
    fixed = run.json("person", "correct", A[-4:], "--from-card")
    assert fixed["person"]["name"] == "张叁" and "name" in fixed["fields"]
    assert [f["code"] for f in fixed["resolved"]] == ["PC-DISAGREE"]
    assert "PC-DISAGREE" not in {f["code"] for f in run.json("check")["findings"]}
    nothing = run("person", "correct", A, ok=False)
    assert nothing.exit_code == 1 and "没有要更正的内容" in nothing.stderr


def test_movein_of_a_registered_person_needs_no_name(db_url: str) -> None:
    run = Laiqu(db_url)
    build_city(run)
    run("person", "add", "--id", A, "--name", "张三")
    done = run.json("movein", "--house", "TP-88-3-201", "--id", A)
    assert done["person"]["name"] == "张三"
    stranger = run("movein", "--house", "TP-88-3-201", "--id", B, ok=False)
    assert stranger.exit_code == 1 and "--name" in stranger.stderr


def test_a_coordinator_resolves_within_its_scope(sqlite_url: str) -> None:
    run = Laiqu(sqlite_url)
    build_city(run)
    run("jurisdiction", "add", "440106", "天河区", "--level", "district", "--parent", "310100")
    run("jurisdiction", "add", "44010601", "天河派出所", "--level", "station", "--parent", "440106")
    run("house", "add", "--address", "天河路 1 号", "--jurisdiction", "44010601")
    run("venue", "add", "天河宾馆", "--kind", "hotel", "--jurisdiction", "44010601", "--rooms", "1")
    one, two = twins()
    run("movein", "--house", "TP-88-3-201", "--id", one, "--name", "张三", "--on", "2026-06-10")
    run("checkin", "--venue", "天河宾馆", "--room", "1", "--id", two, "--name", "李四")
    assert run("person", "show", one[-4:], ok=False).exit_code == 1  # two persons for an admin
    run("user", "add", getpass.getuser(), "--role", "coordinator", "--jurisdiction", "31010401")
    assert run.json("person", "show", one[-4:])["name"] == "张三"
    stranger = run("person", "show", two, ok=False)
    assert stranger.exit_code == 1 and "超出权限" in stranger.stderr
    assert run("person", "show", two[-6:], ok=False).exit_code == 1
    assert [h["address"] for h in run.json("house", "list")["houses"]] == [
        "天平路 88 弄 3 号 201 室"
    ]
    assert run.json("guests")["now"] == []
    away = run("guests", "--venue", "天河宾馆", ok=False)
    assert away.exit_code == 1 and "超出权限" in away.stderr
    assert [v["name"] for v in run.json("person", "search", "天平宾")["venues"]] == ["天平宾馆"]
    assert run.json("person", "search", "天河宾")["venues"] == []


def test_search_by_the_reference_a_list_prints(db_url: str) -> None:
    run = Laiqu(db_url)
    build_city(run)
    run("movein", "--house", "TP-88-3-201", "--id", A, "--name", "张三", "--on", "2026-06-10")
    pid = run.json("person", "show", A)["id"]
    found = run.json("person", "search", pid[:8])["persons"]
    assert [(p["id"], p["match"]) for p in found] == [(pid, "id_ref")]
    assert found[0]["id_number"] != A
    assert pid[:8] in run("person", "search", pid[:8].upper()).stdout
    other = "0" * 8 if not pid.startswith("0" * 8) else "f" * 8
    assert run.json("person", "search", other)["persons"] == []
