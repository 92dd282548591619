"""Typed reader errors: every transport, framing and card status problem the drivers raise.

Hardware errors keep the raw code (SW3 of a GA 467 frame, SW1 SW2 of a PC/SC APDU) and get
their class and text from a table, never from an if-chain (style practice 4). Messages are
for desk staff, so they are Chinese; the class says what happened in code.
"""

from __future__ import annotations


class ReaderError(Exception):
    """Base of everything a card-reader driver raises."""

    default = "读卡器错误"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default)


class UnknownScheme(ReaderError, ValueError):
    """A reader URL whose scheme no driver handles."""

    default = "未知的读卡器地址"


class ReaderNotFound(ReaderError):
    """Nothing answered where the reader was expected; the message names what was tried."""

    default = "未找到读卡器"


class ReaderDisconnected(ReaderError):
    """The reader went away while open (unplugged, port closed, pcscd gone)."""

    default = "读卡器已断开"


class ReadTimeout(ReaderError):
    """The reader did not answer a command before its deadline."""

    default = "读卡器响应超时"


class FrameError(ReaderError, ValueError):
    """Bytes that are not a well-formed frame; ``raw`` keeps them."""

    default = "数据帧错误"

    def __init__(self, message: str | None = None, raw: bytes = b"") -> None:
        super().__init__(message)
        self.raw = bytes(raw)


class BadChecksum(FrameError):
    default = "数据帧校验和错误"


class BadLength(FrameError):
    default = "数据帧长度错误"


class UnexpectedAnswer(FrameError):
    """Well-formed frames arrived, but none fits the command sent (status or length): a late
    answer to an earlier command, or a reader speaking another dialect."""

    default = "读卡器的应答与所发命令不符"


class BadLayout(FrameError):
    """The frame was fine but the card data inside does not follow a known layout."""

    default = "证件数据格式无法识别"


class StatusError(ReaderError):
    """A reader or card answered with a non-success status code; the raw code is kept."""

    default = "读卡器返回错误状态"

    def __init__(self, message: str | None = None, *, code: int = 0, sw1: int = 0,
                 sw2: int = 0) -> None:
        super().__init__(message)
        self.code, self.sw1, self.sw2 = code, sw1, sw2


# --- GA 467 SAM result codes (SW3), protocol doc §1.5 --------------------------------------

class SamStatus(StatusError):
    """The SAM answered with an SW3 other than 90/9F; ``code`` is that SW3."""


class CommandRejected(SamStatus):
    """The reader refused our frame (checksum, length, sequence, authority)."""


class CardAuthFailed(SamStatus):
    """Card and SAM did not authenticate each other, or the data failed verification."""


class WrongCardType(SamStatus):
    default = "无法识别的证件类型"


class CardMoved(SamStatus):
    """Typical when the card leaves the field during the read; retried on the next presentation."""

    default = "读卡失败：证件被移动，请重新放置证件"


class SamFault(SamStatus):
    """The SAM module itself is unusable until reset (or at all)."""


class NoCard(SamStatus):
    default = "未放置证件"


class SelectFailed(SamStatus):
    default = "选卡失败，请重新放置证件"


class NoContent(SamStatus):
    default = "证件中此项无内容"


SW3_TABLE: dict[int, tuple[type[SamStatus], str]] = {
    0x10: (CommandRejected, "读卡器收到的数据帧校验和错误"),
    0x11: (CommandRejected, "读卡器收到的数据帧长度错误"),
    0x21: (CommandRejected, "命令错误（参数或顺序不对）"),
    0x23: (CommandRejected, "越权操作"),
    0x24: (SamStatus, "无法识别的错误"),
    0x31: (CardAuthFailed, "证件认证SAM失败"),
    0x32: (CardAuthFailed, "SAM认证证件失败"),
    0x33: (CardAuthFailed, "信息验证错误"),
    0x40: (WrongCardType, "无法识别的证件类型"),
    0x41: (CardMoved, "读卡失败：证件被移动，请重新放置证件"),
    0x47: (CardAuthFailed, "取随机数失败"),
    0x60: (SamFault, "SAM自检失败，不能接收命令"),
    0x66: (SamFault, "SAM未经授权，无法使用"),
    0x80: (NoCard, "寻卡失败：未放置证件"),
    0x81: (SelectFailed, "选卡失败，请重新放置证件"),
    0x91: (NoContent, "证件中此项无内容"),
}


def sam_error(sw3: int, sw1: int = 0, sw2: int = 0) -> SamStatus:
    """The typed error for an SW3 result code (unknown codes keep their value too)."""
    cls, text = SW3_TABLE.get(sw3, (SamStatus, "未知的读卡器状态码"))
    return cls(f"{text} (SW {sw1:02X} {sw2:02X} {sw3:02X})", code=sw3, sw1=sw1, sw2=sw2)


# --- ISO 7816-4 status words over PC/SC, protocol doc §5.1 ----------------------------------

class CardStatus(StatusError):
    """An APDU answered with a status word other than 90 00; ``code`` is SW1 << 8 | SW2."""


class NotSupported(CardStatus):
    """The card (or reader) does not know this command: e.g. no SAM data over PC/SC."""


class SecurityStatus(CardStatus):
    """Access refused until authentication: personal data needs a SAM."""


class NoSamData(ReaderError):
    """A PC/SC reader that reads the chip serial but cannot decode the person data."""

    default = "此读卡器只能读取芯片序列号，不能读取证件信息（需要带SAM模块的读卡器）"

    def __init__(self, message: str | None = None, chip_serial: str | None = None) -> None:
        if message is None and chip_serial:
            message = f"{self.default}；芯片序列号 {chip_serial}"
        super().__init__(message)
        self.chip_serial = chip_serial


SW_TABLE: dict[int, tuple[type[CardStatus], str]] = {
    0x6700: (CardStatus, "长度错误"),
    0x6800: (NotSupported, "不支持的功能"),
    0x6881: (NotSupported, "不支持逻辑通道"),
    0x6982: (SecurityStatus, "安全状态不满足"),
    0x6985: (SecurityStatus, "使用条件不满足"),
    0x6A81: (NotSupported, "不支持的功能"),
    0x6A82: (NotSupported, "文件不存在"),
    0x6A86: (CardStatus, "参数P1/P2错误"),
    0x6B00: (CardStatus, "参数P1/P2错误"),
    0x6D00: (NotSupported, "不支持的指令"),
    0x6E00: (NotSupported, "不支持的指令类别"),
    0x6F00: (CardStatus, "卡片未知错误"),
}
SW1_TABLE: dict[int, tuple[type[CardStatus], str]] = {
    0x62: (CardStatus, "警告：数据可能有误"),
    0x63: (CardStatus, "警告：校验失败"),
    0x64: (CardStatus, "执行错误"),
    0x65: (CardStatus, "存储错误"),
    0x69: (SecurityStatus, "命令不允许"),
    0x6A: (CardStatus, "参数错误"),
}


def card_error(sw1: int, sw2: int) -> CardStatus:
    """The typed error for an ISO 7816-4 status word: exact word first, then by SW1."""
    word = sw1 << 8 | sw2
    cls, text = SW_TABLE.get(word) or SW1_TABLE.get(sw1) or (CardStatus, "卡片返回错误")
    return cls(f"{text} (SW {sw1:02X} {sw2:02X})", code=word, sw1=sw1, sw2=sw2)
