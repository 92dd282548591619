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
