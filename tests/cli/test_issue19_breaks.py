"""What a new user's break test of issue 19 found, one test per defect (fix19b)."""

from __future__ import annotations

from pathlib import Path

from laiqu_helpers import Laiqu


def test_an_empty_or_malformed_station_address_is_a_usage_error(
    laiqu: Laiqu, city: dict[str, str], tmp_path: Path
) -> None:
    before = sorted(tmp_path.rglob("*"))
    for to in ("", "   ", "foo"):
        result = laiqu("sync", "push", "--to", to, "--venue", "天平宾馆", ok=False)
        assert result.exit_code == 2, result.output
        assert "错误：--to" in result.output
    assert sorted(tmp_path.rglob("*")) == before  # no database file made
    status = laiqu("sync", "status", "--json").stdout
    assert "no such table" not in status


def test_a_station_database_that_was_never_initialised_is_not_created(
    laiqu: Laiqu, city: dict[str, str], tmp_path: Path
) -> None:
    missing = tmp_path / "station" / "none.sqlite"
    result = laiqu("sync", "push", "--to", f"sqlite:///{missing}", "--venue", "天平宾馆", ok=False)
    assert result.exit_code == 1
    assert "数据库尚未初始化" in result.output.replace(f" sqlite:///{missing} ", "")
    assert "laiqu init" in result.output and "--to" in result.output
    assert not missing.exists() and not missing.parent.exists()
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    result = laiqu("sync", "push", "--to", f"sqlite:///{empty}", "--venue", "天平宾馆", ok=False)
    assert result.exit_code == 1 and "尚未初始化" in result.output
    assert "no such table" not in result.output
    assert "no such table" not in laiqu("sync", "status").output


def test_a_missing_emulator_deck_is_a_clear_error(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cli.main import cli

    result = CliRunner().invoke(cli, ["reader", "read", f"emulator://{tmp_path}/nonexistent.json"])
    assert result.exit_code == 1
    assert "错误：找不到模拟读卡器的证件文件" in result.output
    assert "程序内部错误" not in result.output and "FileNotFoundError" not in result.output


def test_check_says_nothing_on_stderr_when_piped_or_json(
    laiqu: Laiqu, city: dict[str, str]
) -> None:
    for args in (("check",), ("check", "--json")):
        result = laiqu(*args)
        assert result.stderr == "", result.stderr  # CliRunner's stderr is not a terminal


def test_no_hint_is_given_twice_and_no_help_ends_in_a_stray_semicolon(
    laiqu: Laiqu, city: dict[str, str]
) -> None:
    bad = laiqu("employer", "add", "某公司", "--uscc", "91310104MA1FL0001X",
                "--jurisdiction", "310104010101", ok=False)  # fmt: skip
    assert bad.exit_code == 1 and "错误：" in bad.output
    assert "请核对后重新输入。请核对后重新输入" not in bad.output
    from cli.errors import translate
    from registry.errors import Ambiguous

    shown = translate(Ambiguous("3 houses carry door plate 'X'; use the house's id"))
    assert shown is not None
    text = shown.format_message()
    assert text.count("请改用") == 1 and text.endswith("请改用房屋编号。"), text
    for kind in ("venue", "house", "employer"):
        help_text = laiqu(kind, "remove", "--help").output
        assert "；）" not in help_text, help_text


def test_options_are_named_as_typed(laiqu: Laiqu, city: dict[str, str]) -> None:
    bad = laiqu("venue", "update", "天平宾馆", "--add-rooms", "10-1", ok=False)
    assert bad.exit_code == 2 and "--add-rooms" in bad.output, bad.output
    bad = laiqu("sync", "status", "--month", "13", ok=False)
    assert bad.exit_code == 2 and "--jurisdiction" in bad.output, bad.output


def test_a_phone_must_look_like_one_when_registering_and_correcting(
    laiqu: Laiqu, city: dict[str, str]
) -> None:
    from laiqu_helpers import A

    bad = laiqu("person", "add", "--id", A, "--name", "张三", "--phone", "abc", ok=False)
    assert bad.exit_code == 1 and "错误：" in bad.output and "电话号码格式不对" in bad.output
    laiqu("person", "add", "--id", A, "--name", "张三", "--phone", "138 1234 5678")
    bad = laiqu("person", "correct", A, "--phone", "abc", ok=False)
    assert bad.exit_code == 1 and "电话号码格式不对" in bad.output, bad.output
    laiqu("person", "correct", A, "--phone", "021-6431 2345 转 808")
    shown = laiqu("person", "show", A, "--json", "--reveal", "--reason", "核对").stdout
    assert "021-6431 2345 转 808" in shown


def test_codes_in_messages_are_shown_as_chinese_words() -> None:
    from registry.messages import phrase

    assert phrase("a grid cannot sit under a city").startswith("网格级辖区不能直接设在市级之下")
    merged = phrase("A is a intermediary and B a hotel")
    assert "租房中介" in merged and "旅馆" in merged and "intermediary" not in merged
    held = phrase("the venue X is referred to by 4 stays, 2 residences; merge it")
    assert "住宿登记 4 条、居住登记 2 条" in held and "stays" not in held
    assert phrase("the reason is longer than 200 characters").startswith("原因超过 200 个字")
    whole = phrase("capacity must be a whole number between 0 and 100000")
    assert whole.startswith("核定人数必须是")


def test_an_unreachable_station_is_said_in_chinese(
    laiqu: Laiqu, city: dict[str, str], tmp_path: Path
) -> None:
    import socket

    from laiqu_helpers import A

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    laiqu("checkin", "--venue", "天平宾馆", "--room", "101", "--id", A, "--name", "张三")
    token = tmp_path / "token"
    token.write_text("x" * 32, encoding="utf-8")
    done = laiqu("sync", "push", "--to", f"http://127.0.0.1:{port}", "--venue", "天平宾馆",
                 "--token-file", str(token), "--retry-for", "0", ok=False)  # fmt: skip
    assert done.exit_code == 1
    assert "连接被拒绝" in done.output, done.output
    assert "ConnectError" not in done.output and "Errno" not in done.output


def test_person_history_and_finding_show_name_codes_in_words(
    laiqu: Laiqu, city: dict[str, str]
) -> None:
    from laiqu_helpers import A

    laiqu("movein", "--house", "TP-88-3-201", "--id", A, "--name", "张三", "--relation", "tenant")
    for command in ("show", "history"):
        shown = laiqu("person", command, A).stdout
        assert "承租人" in shown and "tenant" not in shown, shown
    assert "tenant" in laiqu("person", "history", A, "--json").stdout  # JSON keeps the code
    check = laiqu.json("check")
    finding = check["findings"][0]
    shown = laiqu("finding", "show", finding["id"]).stdout
    assert "严重程度" in shown and not any(w in shown for w in ("low", "medium", "high")), shown


def test_a_phone_typed_full_width_is_stored_as_ascii(laiqu: Laiqu, city: dict[str, str]) -> None:
    """A Chinese input method types full-width digits and signs; they are the same number."""
    from laiqu_helpers import A, B

    laiqu("person", "add", "--id", A, "--name", "张三", "--phone", "１３８－１２３４　５６７８")
    laiqu("person", "add", "--id", B, "--name", "李四")
    laiqu("person", "correct", B, "--phone", "（０２１）６４３１２３４５ 转 ８０８")
    for number, phone in ((A, "138-1234 5678"), (B, "(021)64312345 转 808")):
        shown = laiqu.json("person", "show", number, "--reveal", "--reason", "核对")
        assert shown["phone"] == phone, shown
