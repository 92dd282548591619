from datetime import date

from registry.identity.cards import CardRead
from registry.identity.ids import DocType


def test_card_read_repr_masks_number_and_hides_address_and_photo():
    card = CardRead(DocType.RESIDENT, "张三", "1", date(1990, 1, 1), "11010519900101001X",
                    address="北京市朝阳区某路1号", photo=b"\x01" * 1024)
    text = repr(card)
    assert "11010519900101001X" not in text and "110105" in text
    assert "朝阳区" not in text
    assert card.photo_sha256 and len(card.photo_sha256) == 64
    assert card.long_term and not card.expired_on(date(2100, 1, 1))
