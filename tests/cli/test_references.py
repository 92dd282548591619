"""References every command takes (issue 19, second round): the 8-character references that
lists print name houses, employers and venues wherever a command takes one, through the places'
one resolver; persons the same way in corrections and the audit; the level order of the
jurisdiction tree; address search across spaces, widths and 號; the industry's section name.

On both engines (``db_url``) through CliRunner.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from laiqu_helpers import A, B, C, Laiqu, build_city
from stdnum.cn import uscc

from registry.db.engine import make_engine


def refused(result: object, *needles: str) -> str:
    """The one ``错误：`` line of a refused command (exit 1), holding every needle."""
    assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
    lines = [x for x in result.stderr.splitlines() if x.startswith("错误：")]  # type: ignore[attr-defined]
    assert len(lines) == 1, result.stderr  # type: ignore[attr-defined]
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "Traceback" not in result.output  # type: ignore[attr-defined]
    return lines[0]


def count(url: str, table: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def set_id(url: str, table: str, old: str, new: uuid.UUID) -> None:
    """Give a fresh record (nothing refers to it yet) a chosen id: two ids sharing a prefix."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            value = str(new) if engine.dialect.name == "postgresql" else new.hex
            stored = old if engine.dialect.name == "postgresql" else uuid.UUID(old).hex
            done = conn.execute(
                sa.text(f"UPDATE {table} SET id = :new WHERE id = :old"),
                {"new": value, "old": stored},
            )
            assert done.rowcount == 1
    finally:
        engine.dispose()


def test_house_prefixes_in_every_house_command(db_url: str) -> None:
    run = Laiqu(db_url)
    city = build_city(run)
    house = city["house"][:8]
    run("movein", "--house", house, "--id", A, "--name", "张三", "--on", "2026-06-01")
    assert run.json("house", "update", house, "--capacity", "3")["capacity"] == 3
    out = run.json("moveout", "--house", house, "--id", A, "--on", "2026-06-10")
    assert out["house"]["id"] == city["house"]
    agency = run.json("venue", "add", "安居中介", "--kind", "intermediary", "--jurisdiction",
                      "310104010101")
    entrusted = run.json("house", "entrust", house, "--venue", agency["ref"])
    assert (entrusted["house"], entrusted["venue"]) == (city["house"], agency["id"])
    spare = run.json("house", "add", "--address", "天平路 90 号", "--jurisdiction", "310104010101")
    merged = run.json("house", "merge", house, spare["id"][:8])
    assert (merged["kept"]["id"], merged["merged"]) == (city["house"], spare["id"])
    other = run.json("house", "add", "--address", "天平路 92 号", "--jurisdiction", "310104010101")
    assert run.json("house", "remove", other["id"][:10])["id"] == other["id"]
    refused(run("house", "show", "0123abcd", ok=False), "房屋“0123abcd”尚未登记")


def test_an_ambiguous_prefix_lists_the_candidates(db_url: str) -> None:
    run = Laiqu(db_url)
    build_city(run)
    one = run.json("house", "add", "--address", "天平路 1 号", "--jurisdiction", "310104010101")
    two = run.json("house", "add", "--address", "天平路 2 号", "--jurisdiction", "310104010101")
    set_id(db_url, "houses", one["id"], uuid.UUID("3f2a9c1e-0000-4000-8000-000000000001"))
    set_id(db_url, "houses", two["id"], uuid.UUID("3f2a9c1e-0000-4000-8000-000000000002"))
    line = refused(
        run("house", "update", "3f2a9c1e", "--capacity", "2", ok=False),
        "3f2a9c1e 是 2 个房屋编号的开头",
        "天平路 1 号 [3f2a9c1e000040008000000000000001]",
        "天平路 2 号 [3f2a9c1e000040008000000000000002]",
    )
    assert "请从中选一个" in line
    chosen = run.json("house", "update", "3f2a9c1e000040008000000000000002", "--capacity", "2")
    assert chosen["address"] == "天平路 2 号"
    shown = run.json("house", "show", "3f2a9c1e-0000-4000-8000-000000000001")
    assert shown["address"] == "天平路 1 号"


def test_employer_prefixes_and_job_never_makes_an_employer_of_one(db_url: str) -> None:
    run = Laiqu(db_url)
    city = build_city(run)
    employer = city["employer"][:8]
    employers = count(db_url, "employers")
    job = run.json("job", "start", "--employer", employer, "--id", A, "--name", "张三",
                   "--on", "2026-06-01")
    assert job["employer"]["id"] == city["employer"]
    assert count(db_url, "employers") == employers
    run("job", "end", "--employer", employer, "--id", A, "--on", "2026-06-10")
    updated = run.json("employer", "update", employer, "--industry", "h")
    assert updated["industry"] == "H"
    shown = run("employer", "show", employer).stdout
    assert "H 住宿和餐饮业" in shown
    assert run.json("employer", "show", employer)["industry_name"] == "住宿和餐饮业"
    # A reference that names no employer is refused, never recorded as a new employer.
    for ref in ("0123abcd", "0123ABCD-99"):
        refused(
            run("job", "start", "--employer", ref, "--id", B, "--name", "李四",
                "--jurisdiction", "310104010101", ok=False),
            f"没有编号以“{ref}”开头的单位",
            "编号不会被当作新单位的名称",
        )
    refused(run("job", "start", "--employer", "0123abcd", "--id", B, "--name", "李四",
                ok=False), "编号不会被当作新单位的名称")
    assert count(db_url, "employers") == employers
    # A name still records a job at an unregistered employer (PJ-UNKNOWN-EMPLOYER).
    run("job", "start", "--employer", "路边摊", "--id", B, "--name", "李四",
        "--jurisdiction", "310104010101")
    assert count(db_url, "employers") == employers + 1
    spare = run.json("employer", "list")["employers"]
    unregistered = next(e for e in spare if e["name"] == "路边摊")
    merged = run.json("employer", "merge", employer, unregistered["id"][:8])
    assert merged["moved"]["employments"] == 1
    body = "91310104MA1FL0002"
    lone = run.json("employer", "add", "空壳公司", "--uscc", body + uscc.calc_check_digit(body),
                    "--jurisdiction", "310104010101")
    assert run.json("employer", "remove", lone["id"][:8])["removed"] is True


def test_venue_references_in_lists_and_commands(db_url: str) -> None:
    run = Laiqu(db_url)
    city = build_city(run)
    listed = run.json("venue", "list")["venues"]
    assert [v["ref"] for v in listed] == [city["hotel"][:8]]
    text = run("venue", "list").stdout
    assert city["hotel"][:8] in text and city["hotel"] not in text
    ref = city["hotel"][:8]
    shown = run.json("venue", "show", ref)
    assert (shown["id"], shown["rooms"]) == (city["hotel"], ["101", "102", "103", "201"])
    assert "天平宾馆" in run("venue", "show", ref).stdout
    assert run.json("venue", "update", ref, "--add-rooms", "301")["ref"] == ref
    spare = run.json("venue", "add", "天平宾馆二部", "--kind", "hotel", "--jurisdiction",
                     "31010401", "--rooms", "1")
    assert run.json("venue", "merge", ref, spare["ref"])["merged"] == spare["id"]
    lone = run.json("venue", "add", "空置旅馆", "--kind", "hotel", "--jurisdiction", "31010401")
    assert run.json("venue", "remove", lone["ref"])["removed"] is True
    refused(run("venue", "show", "0123abcd", ok=False), "场所“0123abcd”尚未登记")


def test_user_list_names_the_venue_by_its_reference(sqlite_url: str) -> None:
    run = Laiqu(sqlite_url)
    run("init")
    city = build_city(run)
    added = run.json("user", "add", "desk1", "--role", "desk", "--venue", city["hotel"][:8])
    assert (added["venue_ref"], added["venue_name"]) == (city["hotel"][:8], "天平宾馆")
    users = {u["login"]: u for u in run.json("user", "list")}
    assert users["desk1"]["venue_ref"] == city["hotel"][:8]
    assert f"天平宾馆 [{city['hotel'][:8]}]" in run("user", "list").stdout
    assert run.json("venue", "show", users["desk1"]["venue_ref"])["name"] == "天平宾馆"


def test_the_level_order_holds(db_url: str) -> None:
    run = Laiqu(db_url)
    build_city(run)  # 上海市 310100 has the district 310104
    refused(
        run("jurisdiction", "add", "31010099", "某派出所", "--level", "station", "--parent",
            "310100", ok=False),
        "市 310100 设有区县（如 310104）：派出所应设在所属区县之下",
    )
    # 东莞 (不设区的地级市): stations directly under the city, and then no district.
    run("jurisdiction", "add", "441900", "东莞市", "--level", "city")
    run("jurisdiction", "add", "44190001", "莞城派出所", "--level", "station", "--parent",
        "441900")
    refused(
        run("jurisdiction", "add", "441901", "某区", "--level", "district", "--parent", "441900",
            ok=False),
        "市 441900 的派出所直接设在市下",
    )
    for level, parent, code in (("community", "310104", "3101049901"),
                                ("district", "310104", "310199")):
        refused(
            run("jurisdiction", "add", code, "某地", "--level", level, "--parent", parent,
                ok=False),
            "不能直接设在",
        )
    for where, word in (("310100", "市级"), ("310104", "区县级")):
        refused(
            run("house", "add", "--address", "某路1号", "--jurisdiction", where, ok=False),
            f"房屋应登记在派出所、社区或网格下，不能直接登记在{word}辖区 {where}",
        )
        refused(
            run("venue", "add", "某旅馆", "--kind", "hotel", "--jurisdiction", where, ok=False),
            f"场所应登记在派出所、社区或网格下，不能直接登记在{word}辖区 {where}",
        )
    run("house", "add", "--address", "莞城路1号", "--jurisdiction", "44190001")
    run("venue", "add", "莞城旅馆", "--kind", "hotel", "--jurisdiction", "44190001")


def test_address_search_across_spaces_widths_and_hao(db_url: str) -> None:
    run = Laiqu(db_url)
    build_city(run)
    grid = "310104010101"
    run("house", "add", "--address", "徐汇区湖南路 12 号 101 室", "--jurisdiction", grid)
    run("house", "add", "--address", "湖南路１２號102室", "--jurisdiction", grid)
    run("house", "add", "--address", "湖南路18弄12号", "--jurisdiction", grid)
    run("movein", "--house", _ref(run, "湖南路１２號102室"), "--id", A, "--name", "张三",
        "--on", "2026-06-01")
    want = ["徐汇区湖南路 12 号 101 室", "湖南路１２號102室"]
    for needle in ("湖南路12号", "湖南路 12 号", "湖南路１２号", "湖南路12號", "湖南路１２號"):
        found = run.json("person", "search", needle)
        assert sorted(h["address"] for h in found["houses"]) == sorted(want), needle
    text = run("person", "search", "湖南路12号").stdout
    assert "张三" in text and A not in text
    assert [h["address"] for h in run.json("person", "search", "12号101")["houses"]] == [want[0]]
    assert run.json("person", "search", "湖南路13号")["houses"] == []


def _ref(run: Laiqu, address: str) -> str:
    return next(h["id"][:8] for h in run.json("house", "list")["houses"] if h["address"] == address)


def test_person_references_in_corrections_and_the_audit(db_url: str) -> None:
    run = Laiqu(db_url)
    city = build_city(run)
    run("checkin", "--venue", "天平宾馆", "--room", "101", "--id", A, "--name", "张三")
    person = run.json("person", "show", A)["id"]
    moved = run.json("checkin", "move", "--venue", city["hotel"][:8], "--id", A[-4:],
                     "--room", "102")
    assert (moved["person"]["id"], moved["room"]) == (person, "102")
    masked = A[:6] + "*" * 8 + A[-4:]
    cancelled = run.json("checkin", "cancel", "--venue", "天平宾馆", "--id", masked,
                         "--reason", "登记错了")
    assert cancelled["person"]["id"] == person
    run("movein", "--house", city["house"][:8], "--id", B, "--name", "李四", "--on", "2026-06-01")
    other = run.json("person", "show", B)["id"]
    voided = run.json("movein", "cancel", "--house", city["house"][:8], "--id", other[:8],
                      "--reason", "房屋填错")
    assert voided["person"]["id"] == other
    viewed = run.json("audit", "who-viewed", "--id", person[:8])
    assert viewed["id_number"] == masked and viewed["count"] > 0
    assert run.json("audit", "who-viewed", "--id", A)["count"] >= viewed["count"]
    # A full number nobody holds still looks up its keyed hash (purged persons).
    assert run.json("audit", "who-viewed", "--id", C)["count"] == 0
    refused(run("audit", "who-viewed", "--id", "0000", ok=False), "在您的权限范围内没有")


@pytest.mark.parametrize(
    ("number", "doc_type", "nationality", "masked"),
    [
        ("E12345678", "passport", "USA", "*****5678"),
        ("USA110080010113", "foreign_2017", None, "USA110*****0113"),
    ],
)
def test_a_masked_foreign_number_is_a_reference(
    db_url: str, number: str, doc_type: str, nationality: str | None, masked: str
) -> None:
    run = Laiqu(db_url)
    build_city(run)
    extra = ["--nationality", nationality] if nationality else []
    run("checkin", "--venue", "天平宾馆", "--room", "101", "--id", number, "--name", "JOHN SMITH",
        "--doc-type", doc_type, *extra)
    listed = run.json("guests", "--venue", "天平宾馆")["now"]
    assert [g["person"]["id_number"] for g in listed] == [masked]
    shown = run.json("person", "show", masked)
    assert shown["name"] == "JOHN SMITH"
    moved = run.json("checkin", "move", "--venue", "天平宾馆", "--id", masked, "--room", "102")
    assert moved["room"] == "102"
    # Same stars, other characters: nobody.
    refused(run("person", "show", masked[:-4] + "0000", ok=False), "没有与")
