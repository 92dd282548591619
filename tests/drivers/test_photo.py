"""Photo plug-in contract: raw WLT kept, a decoder's output verified, never faked."""

from __future__ import annotations

import struct

import pytest

from drivers.photo import PhotoDecodeError, check_bmp, decode_photo, load_decoder


def bmp(width: int = 102, height: int = 126, bits: int = 24) -> bytes:
    row = (width * bits // 8 + 3) // 4 * 4
    header = b"BM" + struct.pack("<IHHI", 54 + row * height, 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, bits, 0, row * height, 0, 0, 0, 0)
    return header + info + bytes(row * height)


def good_decoder(wlt: bytes) -> bytes:
    return bmp()


def test_a_decoder_output_is_checked():
    assert decode_photo(bytes(1024), good_decoder) == bmp()
    assert len(bmp()) == 38862  # protocol doc §3: 54-byte header + 126 rows of 308 bytes
    with pytest.raises(PhotoDecodeError):
        decode_photo(bytes(1024), lambda wlt: bmp(width=100))
    with pytest.raises(PhotoDecodeError):
        decode_photo(bytes(1024), lambda wlt: b"")  # the silent failure of vendor decoders
    with pytest.raises(PhotoDecodeError):
        decode_photo(bytes(1000), good_decoder)
    with pytest.raises(PhotoDecodeError):
        check_bmp(bmp(bits=8))


def test_plugins_are_loaded_by_name(monkeypatch):
    assert load_decoder(f"{__name__}:good_decoder") is good_decoder
    monkeypatch.delenv("LAIQU_PHOTO_DECODER", raising=False)
    assert load_decoder(None) is None
    with pytest.raises(PhotoDecodeError, match="no_such_module"):
        load_decoder("no_such_module:decode")


def test_cli_writes_the_decoded_photo_only_through_a_plugin(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from cli.reader import reader

    monkeypatch.delenv("LAIQU_PHOTO_DECODER", raising=False)
    out = tmp_path / "photo.bmp"
    result = CliRunner().invoke(reader, ["read", "emulator://?swipe=0.3", "--photo-out",
                                         str(out), "--photo-decoder", f"{__name__}:good_decoder"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == bmp()
