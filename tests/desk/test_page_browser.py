"""The desk page in a real browser (Debian's chromium through Playwright) against ``laiqu desk``
as a real process reading the emulator on a real pty: swipe → check-in → guests → check-out →
slip PDF, co-guests, manual entry, an unplug and replug mid-session."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from desk_helpers import ARTIFACTS, start_desk, stop_desk
from laiqu_helpers import A

from drivers.emulator.deck import default_deck

DECK = default_deck()
FULL_NUMBERS = [c.card.number for c in DECK] + [A]


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def no_full_number(text: str) -> None:
    for number in FULL_NUMBERS:
        assert number not in text


def wait_card(page, index: int) -> None:
    page.wait_for_function(
        "name => document.getElementById('card-name').textContent === name",
        arg=DECK[index].card.name, timeout=15000)


def test_a_desk_session_in_the_browser(desk_db, emulator, browser, tmp_path) -> None:
    from playwright.sync_api import expect

    desk = start_desk(desk_db, f"serial://{emulator.port}?baud=115200&poll=0.05", tmp_path)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(desk.url)
        state = page.locator("#reader-state")
        expect(state).to_contain_text("已连接", timeout=20000)
        expect(page.locator("#venue")).to_have_text("天平宾馆 前台")
        expect(page.locator("#room")).to_have_value("101")  # the first vacant room

        # Swipe + Enter alone: the card on screen (masked), then checked in.
        emulator.present(0)
        wait_card(page, 0)
        expect(page.locator("#card-number")).to_have_text(DECK[0].card.masked_number)
        expect(page.locator("#photo")).to_have_text("照片（未解码）")
        expect(page.locator("#party li")).to_have_count(1)
        shot(page, "01-swiped")
        page.keyboard.press("Enter")
        result = page.locator("#result")
        expect(result).to_contain_text("已入住：天平宾馆 101 房")
        expect(result).to_contain_text(f"{DECK[0].card.name} {DECK[0].card.masked_number}（读卡")
        expect(page.locator("#rooms tbody")).to_contain_text(DECK[0].card.name)
        expect(page.locator("#arrivals")).to_contain_text(DECK[0].card.name)
        expect(page.locator("#room")).to_have_value("102")
        shot(page, "02-checked-in")

        # The slip of that check-in: a PDF with the CJK font, the number masked.
        href = page.locator("#slip-link").get_attribute("href")
        pdf = page.request.get(desk.url + href)
        assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
        slip = tmp_path / "slip.pdf"
        slip.write_bytes(pdf.body())
        text = subprocess.run(["pdftotext", str(slip), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "旅客住宿登记单" in text and "天平宾馆" in text and "101" in text
        assert DECK[0].card.name in text and DECK[0].card.masked_number in text
        no_full_number(text)
        (ARTIFACTS / "slip.pdf").write_bytes(pdf.body())

        # Co-guests by further swipes, into another room picked with the mouse.
        emulator.remove()
        emulator.present(1)
        wait_card(page, 1)
        emulator.remove()
        emulator.present(3)
        wait_card(page, 3)
        expect(page.locator("#party li")).to_have_count(2)
        page.select_option("#room", "201")
        page.click("#checkin")
        expect(result).to_contain_text("已入住：天平宾馆 201 房")
        expect(result).to_contain_text(DECK[1].card.name)
        expect(result).to_contain_text(DECK[3].card.name)
        emulator.remove()

        # Unplugged mid-session: said once; after the replug the next swipe works.
        emulator.unplug()
        expect(state).to_contain_text("未连接", timeout=15000)
        shot(page, "03-unplugged")
        emulator.replug()
        expect(state).to_contain_text("已连接", timeout=20000)
        notices = page.locator("#notices li[data-kind='unplugged']")
        expect(notices).to_have_count(1)
        assert not re.search(r"Input|output|error|Errno", notices.inner_text()), \
            notices.inner_text()
        expect(page.locator("#notices li[data-kind='replugged']")).to_have_count(1)
        emulator.present(2)  # a card that expired in 2025
        wait_card(page, 2)
        expect(page.locator("#card-valid")).to_contain_text("已过期")
        page.keyboard.press("Enter")
        expect(result).to_contain_text("已入住：天平宾馆 102 房")
        expect(result).to_contain_text("证件过期仍被使用")
        expect(page.locator("#findings")).to_contain_text("证件过期仍被使用")
        emulator.remove()

        # Manual entry when the reader fails: marked 手工, a PC-MANUAL finding in Chinese.
        page.click("#manual summary")
        page.fill("#manual-number", A)
        page.fill("#manual-name", "张三")
        page.click("#manual-add")
        expect(page.locator("#party")).to_contain_text("手工")
        page.click("#checkin")  # the mouse this time (swipe + Enter is the path above)
        expect(result).to_contain_text("已入住：天平宾馆 103 房", timeout=15000)
        expect(result).to_contain_text("张三 110105********0111（手工")
        expect(result).to_contain_text("手工录入，未经读卡核验")

        # Check-out of one guest from the list, then of a whole room.
        row = page.locator("#rooms tbody tr", has_text=DECK[0].card.name)
        row.locator("[data-out]").click()
        expect(result).to_contain_text(f"已退房：101 房 {DECK[0].card.name}")
        expect(page.locator("#departures")).to_contain_text(DECK[0].card.name)
        expect(page.locator("#rooms tbody")).not_to_contain_text(DECK[0].card.name)
        page.locator("[data-room-out='201']").click()
        expect(page.locator("#confirm")).to_contain_text("201 房的全部旅客办理退房")
        page.keyboard.press("Enter")
        expect(result).to_contain_text("已退房：201 房")
        expect(page.locator("#upload")).to_contain_text("待上报")
        expect(page.locator("#upload")).to_contain_text("今日按时上报率")
        shot(page, "04-after-checkouts")

        # A swipe of a guest in the house offers the check-out.
        emulator.present(2)
        wait_card(page, 2)
        expect(page.locator("#staying")).to_contain_text("已在 102 房入住")
        page.click("#staying-out")
        expect(result).to_contain_text(f"已退房：102 房 {DECK[2].card.name}")
        shot(page, "05-swipe-checkout")

        no_full_number(page.content())
        page.close()
    finally:
        stop_desk(desk)
    log = desk.output()
    no_full_number(log)
    assert "Traceback" not in log, log
    assert len(re.findall("database is locked", log)) == 0


@pytest.mark.parametrize("reader", ["serial:///dev/laiqu-no-such-reader"])
def test_page_starts_without_its_reader(desk_db, browser, tmp_path, reader: str) -> None:
    from playwright.sync_api import expect

    desk = start_desk(desk_db, reader, tmp_path)
    try:
        page = browser.new_page()
        page.goto(desk.url)
        expect(page.locator("#reader-state")).to_contain_text("未连接", timeout=15000)
        expect(page.locator("#notices li")).to_have_count(1)
        expect(page.locator("#rooms tbody")).to_contain_text("目前没有在住旅客")
    finally:
        stop_desk(desk)
