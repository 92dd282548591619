"""Pure codec functions: resynchronising frame scan and answer matching (GA 467 §1.5/§1.6)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers import answers, frames
from drivers.errors import BadChecksum, BadLength

MOVED = frames.build_response(0x41)  # AA AA AA 96 69 00 04 00 00 41 45
READ_DATA = bytes.fromhex("0100 0400") + bytes(range(256)) + bytes(range(256)) * 4
READ_ANSWER = frames.build_response(0x90, READ_DATA)  # the 1295-byte 30 01 answer


def drain(chunks: list[bytes], final: bool = False) -> tuple[list[bytes], list[Exception]]:
    """Feed chunks the way the serial driver does; every frame and every dropped error."""
    buffer, found, dropped = b"", [], []
    for chunk in chunks:
        buffer += chunk
        while True:
            result = frames.scan(buffer)
            dropped += result.dropped
            buffer = buffer[result.consumed:]
            if result.frame is None:
                break
            found.append(result.frame)
    if final:
        result = frames.scan(buffer, final=True)
        dropped += result.dropped
    return found, dropped


def test_published_frames_pass_whole():
    assert len(READ_ANSWER) == 1295
    for wire in (READ_ANSWER, MOVED, frames.build_response(0x9F, bytes(4))):
        result = frames.scan(b"\x00\x13" + wire + b"\xaa")
        assert result.frame == wire and result.consumed == 2 + len(wire)
        assert result.dropped == ()


def test_cut_answer_then_card_moved_yields_card_moved_at_every_cut():
    for cut in range(len(READ_ANSWER)):
        found, dropped = drain([READ_ANSWER[:cut] + MOVED])
        assert found == [MOVED], cut
        assert all(isinstance(e, BadLength) for e in dropped)
        # Chunk after chunk as a USB bridge delivers: nothing waits for the claimed length.
        stream = READ_ANSWER[:cut] + MOVED
        assert drain([stream[i:i + 64] for i in range(0, len(stream), 64)])[0] == [MOVED], cut


@given(st.binary(max_size=1300), st.data(), st.lists(st.integers(1, 300), max_size=20))
def test_fuzz_any_cut_frame_then_a_complete_frame(data, draw, chunks):
    first = frames.build_response(0x90, data)
    cut = draw.draw(st.integers(0, len(first) - 5))  # the whole next preamble is in its span
    follow = frames.build_response(draw.draw(st.integers(0, 255)), bytes(4))
    stream, pieces, pos = first[:cut] + follow, [], 0
    for size in [*chunks, len(first) + len(follow)]:
        pieces.append(stream[pos:pos + size])
        pos += size
    found, _ = drain(pieces)
    assert found and found[-1] == follow


def test_corrupt_frame_is_dropped_and_the_next_one_found():
    corrupt = READ_ANSWER[:-1] + bytes([READ_ANSWER[-1] ^ 0x01])
    result = frames.scan(corrupt + MOVED)
    assert result.frame == MOVED
    assert [type(e) for e in result.dropped] == [BadChecksum]
    assert result.dropped[0].raw == corrupt  # kept for diagnosis, never put in a message


def test_incomplete_frame_waits_then_gives_up_at_the_deadline():
    result = frames.scan(b"junk" + READ_ANSWER[:700])
    assert (result.frame, result.consumed, result.dropped) == (None, 4, ())
    final = frames.scan(READ_ANSWER[:700], final=True)
    assert final.frame is None and final.consumed == 700
    assert [type(e) for e in final.dropped] == [BadLength]


def test_impossible_length_is_data_not_a_frame():
    fake = frames.PREAMBLE + b"\xff\xff"
    assert frames.scan(fake + MOVED).frame == MOVED
    assert frames.scan(fake + MOVED).dropped == ()


# --- answers against commands -------------------------------------------------------------

def response(wire: bytes) -> frames.Response:
    return frames.decode_response(wire)


SUCCESS = {
    frames.RESET: frames.build_response(0x90),
    frames.STATUS: frames.build_response(0x90),
    frames.SAM_ID: frames.build_response(0x90, bytes(16)),
    frames.FIND: frames.build_response(0x9F, bytes(4)),
    frames.SELECT: frames.build_response(0x90, bytes(8)),
    frames.READ: READ_ANSWER,
    frames.READ_FP: frames.build_response(0x90, frames.encode_base(
        frames.BaseMessage(bytes(256), bytes(1024), bytes(512)), with_fp=True)),
    frames.READ_APPEND: frames.build_response(0x90, bytes(70)),
}


@pytest.mark.parametrize("command", SUCCESS)
def test_each_success_fits_its_command_only(command):
    assert answers.mismatch(command, response(SUCCESS[command])) is None
    for other, wire in SUCCESS.items():
        if wire != SUCCESS[command]:
            assert answers.mismatch(command, response(wire)) is not None, other


def test_late_read_answer_does_not_answer_find():
    reason = answers.mismatch(frames.FIND, response(READ_ANSWER))
    assert reason is not None and "1284" in reason


@pytest.mark.parametrize(("sw3", "fits", "not_fits"), [
    (0x80, [frames.FIND], [frames.SELECT, frames.READ, frames.SAM_ID]),
    (0x81, [frames.SELECT], [frames.FIND, frames.READ]),
    (0x41, [frames.READ, frames.READ_FP, frames.READ_APPEND], [frames.FIND, frames.SELECT]),
    (0x91, [frames.READ_APPEND], [frames.FIND, frames.STATUS]),
    (0x10, [frames.FIND, frames.READ, frames.STATUS], []),
    (0x60, [frames.FIND, frames.RESET, frames.SAM_ID], []),
    (0x55, [frames.FIND, frames.READ], []),  # unknown codes cannot be attributed
])
def test_failure_codes_belong_to_their_commands(sw3, fits, not_fits):
    wire = response(frames.build_response(sw3))
    assert all(answers.mismatch(c, wire) is None for c in fits)
    assert all(answers.mismatch(c, wire) is not None for c in not_fits)


def test_failure_with_data_and_wrong_lengths_do_not_fit():
    assert answers.mismatch(frames.FIND, response(frames.build_response(0x80, b"\x00")))
    assert answers.mismatch(frames.SAM_ID, response(frames.build_response(0x90, bytes(15))))
    short = READ_DATA[:-1]
    assert answers.mismatch(frames.READ, response(frames.build_response(0x90, short)))
    assert answers.describe(frames.FIND) == "寻卡（20 01）"


@given(st.sampled_from(sorted(SUCCESS)), st.integers(0, 255), st.binary(max_size=80))
def test_fuzz_answers_fit_only_their_shape(command, sw3, data):
    reason = answers.mismatch(command, frames.Response(0, 0, sw3, data))
    if sw3 in (0x90, 0x9F) and reason is None:
        assert response(SUCCESS[command]).sw3 == sw3
        if command not in (frames.READ, frames.READ_FP):
            assert len(data) == len(response(SUCCESS[command]).data)
    if sw3 not in (0x90, 0x9F) and data:
        assert reason is not None
