"""The card photo: 1024 bytes of proprietary WLT, kept raw; decoding only by a plug-in.

No open-source WLT decoder exists (protocol doc §3), and vendor decoders fail silently, so
the drivers never decode on their own and never synthesise a face. A decoder plug-in is a
Python callable ``wlt -> bmp`` named ``module:function`` (wrapping e.g. ``libwlt2bmp.so`` or
``WltRS.dll`` with ctypes); its output is checked to be the 102×126 24-bit BMP a real
decoder makes before anyone sees it.
"""

from __future__ import annotations

import importlib
import os
import struct
from collections.abc import Callable

from drivers.errors import ReaderError

WLT_LEN = 1024
WIDTH, HEIGHT, BITS = 102, 126, 24
ENV = "LAIQU_PHOTO_DECODER"

PhotoDecoder = Callable[[bytes], bytes]


class PhotoDecodeError(ReaderError):
    default = "证件照片解码失败（照片原始数据已保留）"


def load_decoder(spec: str | None = None) -> PhotoDecoder | None:
    """The plug-in named ``module:function`` (or by ``LAIQU_PHOTO_DECODER``); None if unset."""
    spec = spec or os.environ.get(ENV)
    if not spec:
        return None
    module_name, _, attr = spec.partition(":")
    try:
        decoder = getattr(importlib.import_module(module_name), attr or "decode")
    except (ImportError, AttributeError) as exc:
        raise PhotoDecodeError(f"无法加载照片解码插件 {spec}: {exc}") from exc
    if not callable(decoder):
        raise PhotoDecodeError(f"照片解码插件 {spec} 不是可调用对象")
    return decoder  # type: ignore[no-any-return]


def check_bmp(bmp: bytes) -> bytes:
    """Accept only a 102×126 24-bit BMP: a silent decoder failure must not pass as a face."""
    if len(bmp) < 54 or bmp[:2] != b"BM":
        raise PhotoDecodeError("解码结果不是 BMP 图像")
    width, height = struct.unpack_from("<ii", bmp, 18)
    (bits,) = struct.unpack_from("<H", bmp, 28)
    if (width, abs(height), bits) != (WIDTH, HEIGHT, BITS):
        raise PhotoDecodeError(f"解码结果应为 {WIDTH}×{HEIGHT} 24 位图像，实为 "
                               f"{width}×{abs(height)} {bits} 位")
    row = (WIDTH * 3 + 3) // 4 * 4
    if len(bmp) < 54 + row * HEIGHT:
        raise PhotoDecodeError("解码结果的像素数据不完整")
    return bmp


def decode_photo(wlt: bytes, decoder: PhotoDecoder) -> bytes:
    """Decode the raw photo with the plug-in and verify the result."""
    if len(wlt) != WLT_LEN:
        raise PhotoDecodeError(f"照片原始数据应为 {WLT_LEN} 字节，实为 {len(wlt)}")
    try:
        bmp = decoder(wlt)
    except ReaderError:
        raise
    except Exception as exc:  # a vendor library fails in its own ways
        raise PhotoDecodeError(f"照片解码插件出错: {exc}") from exc
    return check_bmp(bmp)
