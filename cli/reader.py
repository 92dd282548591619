"""``laiqu reader``: find, read and watch ID-card readers, and run the shipped emulator.

Thin over ``drivers``: every command opens a reader by URL (``serial://…``, ``serial://auto``,
``pcsc://…``, ``emulator://…``). ``--json`` prints one JSON document per card with the number
masked. Reader trouble while watching (card moved, bad frame, timeout, unplug, replug) is
printed once per occurrence on stderr, from the driver's ``ReaderEvent``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from drivers import open_reader
from drivers.errors import NoSamData, ReaderError
from drivers.events import EventKind, ReaderEvent
from registry.identity.cards import CardRead, CardReader
from registry.identity.codes import ethnicity_name, gender_name


def card_data(card: CardRead) -> dict[str, Any]:
    """The JSON document of one read: the number masked, the photo only as hash and size."""

    def day(value: date | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "doc_type": card.doc_type.value,
        "doc_label": card.doc_type.label,
        "name": card.name,
        "english_name": card.english_name,
        "gender": card.gender,
        "gender_name": gender_name(card.gender),
        "ethnicity": card.ethnicity,
        "ethnicity_name": ethnicity_name(card.ethnicity) if card.ethnicity else None,
        "birth_date": day(card.birth_date),
        "number": card.masked_number,
        "nationality": card.nationality,
        "issuer": card.issuer or None,
        "valid_from": day(card.valid_from),
        "valid_to": day(card.valid_to),
        "long_term": card.long_term,
        "address": card.address,
        "extras": dict(card.extras),
        "photo_sha256": card.photo_sha256,
        "photo_bytes": len(card.photo or b""),
        "fingerprint_bytes": len(card.fingerprints or b""),
        "reader_id": card.reader_id,
        "sam_id": card.sam_id,
        "chip_serial": card.chip_serial,
        "read_at": card.read_at.isoformat() if isinstance(card.read_at, datetime) else None,
    }


def card_text(card: CardRead) -> str:
    data = card_data(card)
    valid_to = "长期" if card.long_term else data["valid_to"]
    lines = [
        f"{card.doc_type.label}  {card.name}  {card.masked_number}",
        f"性别 {data['gender_name']}  出生 {data['birth_date']}"
        + (f"  民族 {data['ethnicity_name']}" if card.ethnicity else "")
        + (f"  国籍 {card.nationality}" if card.nationality else ""),
        f"有效期 {data['valid_from'] or '-'} 至 {valid_to}"
        + (f"  签发机关 {card.issuer}" if card.issuer else ""),
    ]
    if card.english_name and card.english_name != card.name:
        lines.append(f"英文姓名 {card.english_name}")
    if card.address:
        lines.append(f"住址 {card.address}")
    lines.append(f"照片 {data['photo_bytes']} 字节（未解码）sha256 {card.photo_sha256 or '-'}")
    return "\n".join(lines)


def _show(card: CardRead, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(card_data(card), ensure_ascii=False))
    else:
        click.echo(card_text(card))


@contextmanager
def _opened(url: str) -> Iterator[CardReader]:
    try:
        reader = open_reader(url)
    except ReaderError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        yield reader
    finally:
        reader.close()


@click.group("reader")
def reader() -> None:
    """身份证读卡器：查找、读卡、连续读卡、运行模拟器。"""


@reader.command("list")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
def list_command(as_json: bool) -> None:
    """列出本机的读卡器：逐个串口发送读SAM编号命令（12 FF），以及 pcscd 中的 PC/SC 读卡器。

    串口包括 pyserial 列出的串口、/dev/ttyUSB*、/dev/ttyACM* 和环境变量 LAIQU_SERIAL_PORTS
    中的路径。
    """
    from drivers.discover import list_readers

    found = [
        {"url": f"serial://{port}?baud={baud}", "kind": "serial"} for port, baud in list_readers()
    ]
    try:
        from drivers.pcsc import reader_names

        found += [{"url": f"pcsc://{name}", "kind": "pcsc"} for name in reader_names()]
    except (ImportError, ReaderError):
        pass  # no pyscard or no pcscd: no PC/SC readers
    if as_json:
        click.echo(json.dumps({"readers": found}, ensure_ascii=False))
    elif found:
        click.echo("\n".join(item["url"] for item in found))
    else:
        click.echo("未找到读卡器。", err=True)


@reader.command("read")
@click.argument("url")
@click.option("--timeout", default=30.0, show_default=True, help="等待刷卡的秒数。")
@click.option(
    "--photo-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="把照片写入此文件：原始 WLT（1024 字节），配置了解码插件时为 BMP。",
)
@click.option(
    "--photo-decoder",
    envvar="LAIQU_PHOTO_DECODER",
    metavar="MODULE:FUNC",
    help="照片解码插件（厂商解码库的封装）；不配置则不解码。",
)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（证件号码脱敏）。")
def read_command(
    url: str, timeout: float, photo_out: Path | None, photo_decoder: str | None, as_json: bool
) -> None:
    """读一张证件：URL 如 serial:///dev/ttyUSB0、serial://auto、pcsc://、emulator://。

    不带 SAM 模块的 PC/SC 读卡器只能读出芯片序列号：输出芯片序列号并说明原因。
    """
    with _opened(url) as rd:
        try:
            card = rd.read(timeout)
        except NoSamData as exc:
            _show_chip_serial(exc, as_json)
            return
        except ReaderError as exc:
            raise click.ClickException(str(exc)) from exc
    if card is None:
        raise click.ClickException(f"{timeout:g} 秒内没有读到证件：请把证件放在读卡器上。")
    if photo_out and card.photo:
        from drivers.photo import decode_photo, load_decoder

        try:
            decoder = load_decoder(photo_decoder)
            image = decode_photo(card.photo, decoder) if decoder else card.photo
        except ReaderError as exc:
            raise click.ClickException(str(exc)) from exc
        photo_out.write_bytes(image)
    _show(card, as_json)


EVENT_LABELS = {
    EventKind.UNPLUGGED: "读卡器断开",
    EventKind.REPLUGGED: "读卡器恢复",
    EventKind.CARD_MOVED: "请重新放置证件",
    EventKind.NO_SAM_DATA: "只读到芯片序列号",
}


def _show_chip_serial(error: NoSamData, as_json: bool) -> None:
    """A PC/SC reader without SAM: the chip serial it did read (not personal data)."""
    if as_json:
        click.echo(json.dumps({"chip_serial": error.chip_serial, "sam_data": False,
                               "note": NoSamData.default}, ensure_ascii=False))
    else:
        click.echo(f"芯片序列号 {error.chip_serial or '-'}")
        click.echo(f"提示：{NoSamData.default}", err=True)


@reader.command("watch")
@click.argument("url")
@click.option("--count", type=int, default=None, help="读到这么多张证件后退出。")
@click.option("--json", "as_json", is_flag=True, help="每张证件一行 JSON（证件号码脱敏）。")
def watch_command(url: str, count: int | None, as_json: bool) -> None:
    """连续读卡：每张放上的证件只输出一次；Ctrl-C 退出。

    读卡器的问题（证件被移动、数据帧错误、超时、拔出）每次只提示一次，读卡不中断；
    读卡器重新接上后提示恢复并继续读卡。
    """

    def report(event: ReaderEvent) -> None:
        click.echo(f"{EVENT_LABELS.get(event.kind, '提示')}：{event.message}", err=True)

    with _opened(url) as rd:
        if hasattr(rd, "on_event"):
            rd.on_event = report
        seen = 0
        try:
            for card in rd.watch():
                _show(card, as_json)
                sys.stdout.flush()
                seen += 1
                if count is not None and seen >= count:
                    break
        except KeyboardInterrupt:
            pass


@reader.command("emulate")
@click.argument("kind", type=click.Choice(["serial", "pcsc"]))
@click.option(
    "--cards",
    type=click.Path(exists=True, dir_okay=False),
    help="证件组 JSON 文件（默认内置的合成证件组）。",
)
@click.option("--baud", default=115200, show_default=True, help="串口模拟器的波特率。")
@click.option("--swipe", default=0.0, help="每隔这么多秒自动放上下一张证件（0：由 stdin 控制）。")
@click.option("--sam", is_flag=True, help="pcsc：模拟能输出 SAM 解码数据的读卡器（FF B0）。")
def emulate_command(kind: str, cards: str | None, baud: int, swipe: float, sam: bool) -> None:
    """运行读卡器模拟器（合成证件，绝无真实人员）。

    serial：在伪终端上模拟 GA 467 读卡器，第一行输出串口路径，直到进程被终止或 stdin
    关闭；stdin 每行一条命令：present N、remove、unplug、replug。
    pcsc：作为虚拟卡连接 pcscd 的 vpcd 驱动（localhost:35963），按回车换下一张证件。
    """
    from drivers.emulator.deck import load_deck

    deck = load_deck(cards)
    if kind == "pcsc":
        from drivers.emulator.vpcd import serve_deck

        try:
            serve_deck(deck, sam=sam)
        except OSError as exc:
            raise click.ClickException(f"无法连接 vpcd（pcscd 是否在运行？）: {exc}") from exc
        return
    from drivers.emulator.ptyserver import PtyServer

    server = PtyServer(deck, baud=baud, swipe=swipe)
    click.echo(server.link)
    sys.stdout.flush()
    server.serve(sys.stdin.fileno(), sys.stdout.fileno())
