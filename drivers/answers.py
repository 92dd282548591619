"""Which GA 467 answers fit which command: status (SW3) and length, as pure functions.

Sources: protocol doc §1.5 (SW3 result codes: who returns which) and §1.6 (answer layouts:
LEN per command). A reader answers one command at a time, but an answer can arrive late —
after the host gave up on its command and sent the next one. ``mismatch`` tells such a stale
answer from the answer to the command just sent, so the serial driver discards it and keeps
waiting for the right one within the command's deadline.

Rules:

- success carries the command's own code and data length: ``9F`` + 4 bytes for find (20 01),
  ``90`` + 8 for select (20 02), ``90`` + 16 for the SAM id (12 FF), ``90`` + 70 for the
  latest append address (30 03), ``90`` with the text/photo(/fingerprint) length fields adding
  up to the data for the reads (30 01: 4-byte header, 30 10: 6-byte header, text 256 bytes),
  ``90`` and no data for reset, status, set baud and RF frame size;
- a failure has no data; the codes that belong to one command family (80 find failed,
  81 select failed, 41 read failed, 91 no such item on the card) fit only that family; the
  generic codes (frame refused, SAM fault, authentication) and unknown codes fit any command.
"""

from __future__ import annotations

from drivers import frames as f

Command = tuple[int, int]

READS: frozenset[Command] = frozenset({f.READ, f.READ_FP, f.READ_APPEND, (0x30, 0x02),
                                       (0x30, 0x05)})
BAUD_COMMANDS: frozenset[Command] = frozenset((0x60, para) for para in f.BAUD_PARA.values())

# Success: (SW3, exact data length); the reads are checked by their own length fields.
SUCCESS: dict[Command, tuple[int, int]] = {
    f.RESET: (f.OK, 0), f.STATUS: (f.OK, 0), f.SAM_ID: (f.OK, 16), f.FIND: (f.FOUND, 4),
    f.SELECT: (f.OK, 8), f.READ_APPEND: (f.OK, 70), f.SET_RF_MAX: (f.OK, 0),
    **{command: (f.OK, 0) for command in BAUD_COMMANDS},
}
READ_HEADERS: dict[Command, int] = {f.READ: 4, f.READ_FP: 6}  # text-len, photo-len(, fp-len)

# Failure codes owned by one command family (§1.5); any other failure code fits any command.
OWNED: dict[int, frozenset[Command]] = {
    0x80: frozenset({f.FIND}),
    0x81: frozenset({f.SELECT}),
    0x41: READS,
    0x91: READS,
}


def _read_data_fits(data: bytes, header: int) -> bool:
    """The length fields of a 30 01 / 30 10 answer add up to its data (§1.6)."""
    if len(data) < header:
        return False
    fields = [int.from_bytes(data[i:i + 2], "big") for i in range(0, header, 2)]
    return fields[0] == f.TEXT_LEN and header + sum(fields) == len(data)


def mismatch(command: Command, response: f.Response) -> str | None:
    """None when ``response`` can be the answer to ``command``, else why not (Chinese)."""
    shape = f"SW3 {response.sw3:02X}，数据 {len(response.data)} 字节"
    if response.sw3 in (f.OK, f.FOUND):
        if command in READ_HEADERS:
            fits = response.sw3 == f.OK and _read_data_fits(response.data,
                                                             READ_HEADERS[command])
        elif command in SUCCESS:
            fits = (response.sw3, len(response.data)) == SUCCESS[command]
        else:
            fits = True  # a command without a known layout: any success
        return None if fits else f"成功应答的状态或长度不符（{shape}）"
    if response.data:
        return f"失败应答不应带数据（{shape}）"
    owners = OWNED.get(response.sw3)
    if owners is not None and command not in owners:
        return f"此状态码属于其他命令（{shape}）"
    return None


NAMES: dict[Command, str] = {  # the Chinese names of §1.4
    f.RESET: "复位SAM", f.STATUS: "SAM状态检测", f.SAM_ID: "读SAM编号", f.FIND: "寻卡",
    f.SELECT: "选卡", f.READ: "读基本信息", f.READ_FP: "读基本信息和指纹",
    f.READ_APPEND: "读最新追加住址", f.SET_RF_MAX: "设置射频帧长",
    **{command: "设置波特率" for command in BAUD_COMMANDS},
}


def describe(command: Command) -> str:
    """A command for messages: ``寻卡（20 01）``."""
    code = f"{command[0]:02X} {command[1]:02X}"
    return f"{NAMES[command]}（{code}）" if command in NAMES else code
