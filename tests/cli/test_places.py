"""jurisdiction, venue, house and employer commands; refusals change nothing."""

from __future__ import annotations

from laiqu_helpers import A, Laiqu


def test_city_is_built_and_listed(laiqu: Laiqu, city: dict[str, str]) -> None:
    tree = laiqu.json("jurisdiction", "list")["jurisdictions"]
    assert [j["code"] for j in tree] == ["310100", "310104", "31010401", "310104010101"]
    text = laiqu("jurisdiction", "list").stdout
    assert "    31010401        天平路派出所  派出所  310104\n" in text
    venues = laiqu.json("venue", "list")["venues"]
    assert venues[0]["id"] == city["hotel"]
    assert venues[0]["rooms"] == ["101", "102", "103", "201"]


def test_venue_may_be_named_by_exact_name(laiqu: Laiqu, city: dict[str, str]) -> None:
    out = laiqu("checkin", "--venue", "天平宾馆", "--room", "101", "--id", A, "--name", "张三")
    assert "已入住：天平宾馆 101 房" in out.stdout


def test_refused_jurisdiction_changes_nothing(laiqu: Laiqu, city: dict[str, str], counts) -> None:
    before = counts()
    result = laiqu(
        "jurisdiction", "add", "31010401", "重复", "--level", "grid", "--parent", "310104", ok=False
    )
    assert result.exit_code == 1
    assert result.stderr.strip() == "错误：登记被拒绝：辖区 31010401 已经存在。未做任何更改。"
    assert "Traceback" not in result.output
    assert counts() == before


def test_unknown_parent_and_bad_level(laiqu: Laiqu, city: dict[str, str]) -> None:
    result = laiqu("jurisdiction", "add", "9", "x", "--level", "grid", "--parent", "404", ok=False)
    assert result.exit_code == 1
    assert "辖区 404 尚未登记" in result.stderr
    usage = laiqu("jurisdiction", "add", "9", "x", "--level", "planet", ok=False)
    assert usage.exit_code == 2


def test_house_update_records_filing_and_pledge(laiqu: Laiqu, city: dict[str, str]) -> None:
    laiqu("person", "add", "--id", A, "--name", "张三")
    data = laiqu.json(
        "house",
        "update",
        "TP-88-3-201",
        "--filing",
        "沪租备 1",
        "--pledge",
        "--landlord",
        A,
        "--capacity",
        "3",
    )
    assert data["filing_number"] == "沪租备 1"
    assert data["pledge_signed"] is True and data["capacity"] == 3
    assert data["landlord"] == "110105********0111"
    nothing = laiqu("house", "update", city["house"], ok=False)
    assert nothing.exit_code == 1 and "没有要修改的内容" in nothing.stderr


def test_employer_refusals(laiqu: Laiqu, city: dict[str, str]) -> None:
    again = laiqu(
        "employer",
        "add",
        "别名",
        "--uscc",
        "91310104MA1FL0001Q",
        "--jurisdiction",
        "310104010101",
        ok=False,
    )
    assert again.exit_code == 1 and "已经登记" in again.stderr
    bad = laiqu(
        "employer",
        "add",
        "坏码",
        "--uscc",
        "91310104MA1FL0001X",
        "--jurisdiction",
        "310104010101",
        ok=False,
    )
    assert bad.exit_code == 1 and bad.stderr.startswith("错误：证件号码或代码无效")


def test_uninitialised_database_says_run_init(tmp_path) -> None:
    run = Laiqu(f"sqlite:///{tmp_path / 'none.sqlite'}")
    result = run("jurisdiction", "list", ok=False)
    assert result.exit_code == 1
    assert "尚未初始化" in result.stderr and "laiqu init" in result.stderr
    assert not (tmp_path / "none.sqlite").exists()
    assert "已就绪" in run("init").stdout
    assert run.json("jurisdiction", "list") == {"jurisdictions": []}
    assert "已就绪" in run("init").stdout  # idempotent


def test_a_house_is_entrusted_to_an_intermediary_once(laiqu, city) -> None:
    agency = laiqu.json(
        "venue", "add", "安居中介", "--kind", "intermediary", "--jurisdiction", "310104010101"
    )
    house = laiqu.json(
        "house", "add", "--address", "湖南路 99 号", "--jurisdiction", "310104010101"
    )
    done = laiqu.json("house", "entrust", str(house["id"]), "--venue", "安居中介")
    assert done["venue"] == agency["id"]
    again = laiqu("house", "entrust", str(house["id"]), "--venue", "安居中介", ok=False)
    assert again.exit_code == 1 and "该房屋已托管给 安居中介" in again.stderr
    hotel = laiqu("house", "entrust", str(house["id"]), "--venue", "天平宾馆", ok=False)
    assert "不是租房中介" in hotel.stderr
