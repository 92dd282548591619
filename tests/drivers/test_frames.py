"""GA 467 frame codec against the byte literals of protocol doc §1.4/§1.6, and fuzzed."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers import errors, frames
from drivers.emulator.sam import SamEmulator
from drivers.errors import BadChecksum, BadLength, ReaderError

REQUESTS = {
    (0x10, 0xFF): "AA AA AA 96 69 00 03 10 FF EC",
    (0x11, 0xFF): "AA AA AA 96 69 00 03 11 FF ED",
    (0x12, 0xFF): "AA AA AA 96 69 00 03 12 FF EE",
    (0x20, 0x01): "AA AA AA 96 69 00 03 20 01 22",
    (0x20, 0x02): "AA AA AA 96 69 00 03 20 02 21",
    (0x30, 0x01): "AA AA AA 96 69 00 03 30 01 32",
    (0x30, 0x10): "AA AA AA 96 69 00 03 30 10 23",
    (0x30, 0x03): "AA AA AA 96 69 00 03 30 03 30",
    (0x30, 0x05): "AA AA AA 96 69 00 03 30 05 36",
    (0x60, 0x00): "AA AA AA 96 69 00 03 60 00 63",
    (0x60, 0x01): "AA AA AA 96 69 00 03 60 01 62",
    (0x60, 0x02): "AA AA AA 96 69 00 03 60 02 61",
    (0x60, 0x03): "AA AA AA 96 69 00 03 60 03 60",
    (0x60, 0x04): "AA AA AA 96 69 00 03 60 04 67",
}


@pytest.mark.parametrize(("command", "wire"), REQUESTS.items())
def test_build_request_matches_published_frames(command, wire):
    assert frames.build_request(*command) == bytes.fromhex(wire)
    request = frames.decode_request(bytes.fromhex(wire))
    assert (request.cmd, request.para, request.data) == (*command, b"")


def test_request_with_data():
    wire = bytes.fromhex("AA AA AA 96 69 00 04 61 FF 50 CA")
    assert frames.build_request(0x61, 0xFF, b"\x50") == wire
    assert frames.decode_request(wire).data == b"\x50"


@pytest.mark.parametrize(("wire", "sw3", "data"), [
    ("AA AA AA 96 69 00 04 00 00 90 94", 0x90, b""),
    ("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97", 0x9F, bytes(4)),
    ("AA AA AA 96 69 00 04 00 00 80 84", 0x80, b""),
    ("AA AA AA 96 69 00 0C 00 00 90" + " 00" * 8 + " 9C", 0x90, bytes(8)),
    ("AA AA AA 96 69 00 04 00 00 81 85", 0x81, b""),
    ("AA AA AA 96 69 00 04 00 00 41 45", 0x41, b""),
    ("AA AA AA 96 69 00 04 00 00 60 64", 0x60, b""),
])
def test_responses_match_published_frames(wire, sw3, data):
    raw = bytes.fromhex(wire)
    assert frames.build_response(sw3, data) == raw
    response = frames.decode_response(raw)
    assert (response.sw1, response.sw2, response.sw3, response.data) == (0, 0, sw3, data)
    assert response.ok == (sw3 in (0x90, 0x9F))


def test_bad_checksum_and_length_keep_the_raw_bytes():
    bad = bytes.fromhex("AA AA AA 96 69 00 03 20 01 21")
    with pytest.raises(BadChecksum) as caught:
        frames.decode_request(bad)
    assert caught.value.raw == bad
    with pytest.raises(BadLength):
        frames.decode_response(bytes.fromhex("AA AA AA 96 69 00 05 00 00 90 95"))


def test_find_frame_skips_garbage_and_waits_for_chunks():
    frame = frames.build_response(0x9F, bytes(4))
    stream = b"\x00\xff\xaa\xaa" + frame + frames.build_response(0x90)
    found, consumed = frames.find_frame(stream, min_len=4)
    assert found == frame and consumed == 4 + len(frame)
    # Chunked: nothing until the last byte, garbage before the preamble may be dropped.
    for cut in range(len(frame)):
        partial, used = frames.find_frame(b"junk" + frame[:cut], min_len=4)
        assert partial is None and used <= 4


def test_find_frame_slides_past_a_false_preamble():
    fake = frames.PREAMBLE + b"\xff\xff"  # LEN 65535: impossible, so garbage
    frame = frames.build_response(0x90)
    assert frames.find_frame(fake + frame, min_len=4) == (frame, len(fake) + len(frame))


@pytest.mark.parametrize(("fp_len", "total"), [(None, 1295), (0, 1297), (512, 1809), (1024, 2321)])
def test_read_answers_of_every_length(fp_len, total):
    text, photo = bytes(range(256)), bytes(1024)
    fp = bytes([7]) * fp_len if fp_len else None
    data = frames.encode_base(frames.BaseMessage(text, photo, fp), with_fp=fp_len is not None)
    wire = frames.build_response(0x90, data)
    assert len(wire) == total
    if fp_len is None:
        assert wire[14:270] == text and wire[270:1294] == photo
    else:
        assert wire[16:272] == text and wire[272:1296] == photo
    message = frames.decode_base(frames.decode_response(wire).data)
    assert (message.text, message.photo, message.fingerprints) == (text, photo, fp)


def test_sam_id_format():
    data = bytes.fromhex("05000100") + (20101209).to_bytes(4, "little") + \
        (12).to_bytes(4, "little") + (345).to_bytes(4, "little")
    assert frames.format_sam_id(data) == "05.01-20101209-0000000012-0000000345"


@pytest.mark.parametrize("code", sorted(errors.SW3_TABLE))
def test_every_sw3_maps_to_a_typed_error_that_keeps_the_code(code):
    error = errors.sam_error(code, 0x12, 0x34)
    assert isinstance(error, errors.SW3_TABLE[code][0])
    assert (error.code, error.sw1, error.sw2) == (code, 0x12, 0x34)
    assert f"{code:02X}" in str(error)


def test_specific_sw3_classes():
    assert isinstance(errors.sam_error(0x41), errors.CardMoved)
    assert isinstance(errors.sam_error(0x80), errors.NoCard)
    assert isinstance(errors.sam_error(0x66), errors.SamFault)
    assert type(errors.sam_error(0x55)) is errors.SamStatus
    assert errors.sam_error(0x55).code == 0x55


@given(st.binary(max_size=3000))
def test_fuzz_decoders_raise_only_typed_errors(data):
    for decode in (frames.decode_response, frames.decode_request, frames.decode_base):
        with contextlib.suppress(ReaderError):
            decode(data)
    frame, consumed = frames.find_frame(data, min_len=4)
    assert 0 <= consumed <= len(data)
    if frame is not None:
        assert frame.startswith(frames.PREAMBLE)


@given(st.binary(max_size=40).filter(lambda g: b"\x96\x69" not in g),
       st.binary(max_size=2400), st.integers(0, 255), st.lists(st.integers(1, 200), max_size=30))
def test_fuzz_frames_survive_garbage_and_any_chunking(garbage, data, sw3, cuts):
    frame = frames.build_response(sw3, data)
    stream = garbage + frame
    buffer, found, pos = b"", [], 0
    for size in [*cuts, len(stream)]:
        buffer += stream[pos:pos + size]
        pos += size
        while True:
            candidate, consumed = frames.find_frame(buffer, min_len=4)
            if candidate is None:
                buffer = buffer[consumed:]
                break
            try:
                found.append(frames.decode_response(candidate))
                buffer = buffer[consumed:]
            except ReaderError:
                buffer = buffer[consumed - len(candidate) + 1:]
    assert found and found[-1] == frames.Response(0, 0, sw3, data)


@given(st.binary(max_size=600))
def test_fuzz_emulator_answers_any_bytes_with_frames(data):
    sam = SamEmulator()
    for reply in sam.feed(data):
        assert frames.decode_response(reply.frame).sw3 in (0x90, 0x9F, 0x10, 0x11, 0x21, 0x80)
