"""Against a physical reader, only with ``--reader URL`` (or ``LAIQU_TEST_READER``).

Present a card when asked; these tests check shape and protocol, never a person's data.
"""

from __future__ import annotations

import pytest

from drivers import open_reader
from drivers.serialreader import SerialReader
from registry.identity.ids import parse

pytestmark = pytest.mark.hardware


def test_reader_opens_and_answers(hardware_url):
    reader = open_reader(hardware_url)
    try:
        if isinstance(reader, SerialReader):
            assert reader.baud in (115200, 57600, 38400, 19200, 9600)
            assert reader.sam_id is None or reader.sam_id.count("-") == 3
    finally:
        reader.close()


def test_a_presented_card_decodes(hardware_url):
    reader = open_reader(hardware_url)
    try:
        print("\n请在 30 秒内把一张证件放在读卡器上…")
        card = reader.read(timeout=30)
        assert card is not None, "no card presented within 30 s"
        assert parse(card.number, card.doc_type).number == card.number
        assert card.photo is None or len(card.photo) == 1024
        assert reader.read(timeout=2) is None  # the card left on the reader is not read again
    finally:
        reader.close()
