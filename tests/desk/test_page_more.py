"""The desk page in chromium against ``laiqu desk``: a restart under an open page, a swipe of a
guest in the house then Enter, the same card twice."""

from __future__ import annotations

from desk_helpers import start_desk, stop_desk
from test_page_browser import DECK, wait_card


def reader_url(emulator) -> str:
    return f"serial://{emulator.port}?baud=115200&poll=0.05"


def test_the_page_hears_a_restarted_desk(desk_db, emulator, browser, tmp_path) -> None:
    from playwright.sync_api import expect

    desk = start_desk(desk_db, reader_url(emulator), tmp_path)
    port = int(desk.url.rsplit(":", 1)[1])
    try:
        page = browser.new_page()
        page.goto(desk.url)
        expect(page.locator("#reader-state")).to_contain_text("已连接", timeout=20000)
        for i in (0, 1, 3):  # the old process counts a few versions
            emulator.present(i)
            wait_card(page, i)
            emulator.remove()
        page.click("#clear")
        stop_desk(desk)
        expect(page.locator("#reader-state")).to_contain_text("连接中断", timeout=15000)
        desk = start_desk(desk_db, reader_url(emulator), tmp_path, port=port)
        expect(page.locator("#reader-state")).to_contain_text("已连接", timeout=20000)
        emulator.present(2)
        wait_card(page, 2)
        expect(page.locator("#party li")).to_have_count(1)
        expect(page.locator("#party")).to_contain_text(DECK[2].card.name)
        page.keyboard.press("Enter")
        expect(page.locator("#result")).to_contain_text("已入住：天平宾馆 101 房")
    finally:
        stop_desk(desk)
    assert "Traceback" not in desk.output()


def test_enter_checks_out_a_guest_in_the_house(desk_db, emulator, browser, tmp_path) -> None:
    """Swipe + Enter; the same card again + Enter asks, Enter confirms the check-out. A card
    swiped twice joins the party once; 整间退房 asks too; the keyboard reaches every control."""
    from playwright.sync_api import expect

    desk = start_desk(desk_db, reader_url(emulator), tmp_path)
    try:
        page = browser.new_page()
        page.goto(desk.url)
        result, confirm = page.locator("#result"), page.locator("#confirm")
        expect(page.locator("#reader-state")).to_contain_text("已连接", timeout=20000)
        expect(page.locator("#expected")).to_have_attribute("min", "2026-06-15")
        emulator.present(0)
        wait_card(page, 0)
        page.keyboard.press("Enter")
        expect(result).to_contain_text("已入住：天平宾馆 101 房")
        emulator.remove()
        page.wait_for_timeout(500)  # the first swipe's look-up is back
        expect(page.locator("#staying")).to_be_hidden()

        emulator.present(0)
        expect(page.locator("#staying")).to_contain_text("已在 101 房入住", timeout=15000)
        page.keyboard.press("Enter")
        expect(confirm).to_be_visible()
        expect(confirm).to_contain_text(f"为 {DECK[0].card.name}（101 房）办理退房？")
        page.keyboard.press("Enter")
        expect(result).to_contain_text(f"已退房：101 房 {DECK[0].card.name}")
        expect(confirm).to_be_hidden()
        emulator.remove()

        # The same card twice: one guest, said once.
        emulator.present(1)
        wait_card(page, 1)
        emulator.remove()
        emulator.present(1)
        expect(result).to_contain_text("重复刷卡，已忽略", timeout=15000)
        expect(page.locator("#party li")).to_have_count(1)
        page.keyboard.press("Enter")
        expect(result).to_contain_text("已入住：天平宾馆 102 房")  # the picked room, still free
        emulator.remove()

        # 整间退房 asks: Esc keeps the guests, Enter checks the room out.
        page.locator("[data-room-out='102']").click()
        expect(confirm).to_contain_text("102 房的全部旅客办理退房")
        page.keyboard.press("Escape")
        expect(confirm).to_be_hidden()
        expect(page.locator("#rooms tbody")).to_contain_text(DECK[1].card.name)
        page.locator("[data-room-out='102']").click()
        page.keyboard.press("Enter")
        expect(result).to_contain_text(f"已退房：102 房 {DECK[1].card.name}")

        # The keyboard: Enter opens 手工录入; Tab reaches the room picker and the date.
        page.focus("#manual summary")
        page.keyboard.press("Enter")
        expect(page.locator("#manual")).to_have_attribute("open", "")
        page.focus("#checkin")
        seen = set()
        for _ in range(6):
            page.keyboard.press("Shift+Tab")
            seen.add(page.evaluate("document.activeElement.id"))
        assert {"room", "expected"} <= seen, seen
    finally:
        stop_desk(desk)
    assert "Traceback" not in desk.output()


def test_manual_entry_checks_the_number_at_once(desk_db, browser, tmp_path) -> None:
    from laiqu_helpers import A
    from playwright.sync_api import expect

    desk = start_desk(desk_db, "serial:///dev/laiqu-no-such-reader", tmp_path)
    try:
        page = browser.new_page()
        page.goto(desk.url)
        result = page.locator("#result")
        expect(page.locator("#room")).to_have_value("101")
        page.focus("#manual summary")
        page.keyboard.press("Enter")
        bad = A[:-1] + ("0" if A[-1] != "0" else "1")
        page.fill("#manual-number", bad)
        page.fill("#manual-name", "王五")
        page.click("#manual-add")
        expect(result).to_contain_text("王五的证件号码有误")
        expect(page.locator("#party li.empty")).to_have_count(1)
        assert bad not in page.content()
        # A passport asks for the nationality; then it joins the party and checks in.
        page.select_option("#manual-type", "passport")
        expect(page.locator("#manual-nationality")).to_be_visible()
        page.fill("#manual-number", "E12345678")
        page.fill("#manual-name", "JOHN SMITH")
        page.fill("#manual-nationality", "usa")
        page.click("#manual-add")
        expect(page.locator("#party")).to_contain_text("JOHN SMITH")
        page.keyboard.press("Enter")
        expect(result).to_contain_text("已入住：天平宾馆 101 房")
        expect(result).to_contain_text("JOHN SMITH")
        assert "E12345678" not in page.content()
        # The name's limit is the server's, said on the page.
        page.fill("#manual-name", "张" * 120)
        assert len(page.input_value("#manual-name")) == 100
        expect(page.locator("#manual-name-limit")).to_be_visible()
    finally:
        stop_desk(desk)
    assert "Traceback" not in desk.output()
