"""``import persons|houses|employers FILE.csv`` and ``export … --out FILE.csv``."""

from __future__ import annotations

import codecs
from pathlib import Path

import click

from cli.app import App
from cli.errors import Refusal, os_reason
from cli.output import emit, json_option, note
from cli.progress import bar
from registry.exchange import csvexport, csvfiles, csvimport

ENCODING_HELP = (
    "文件编码；默认自动识别：有 BOM 按 BOM，否则比较按 UTF-8 和按 GB18030（兼容 GBK）读出的"
    "文字，无法确定时拒绝导入并请您指定。"
)


@click.group("import")
def import_group() -> None:
    """从 CSV 批量导入人员、房屋、单位（UTF-8 或 GBK/GB18030 编码）。

    默认全部成功才导入，任何一行有误都不导入并列出有误的行号和原因；
    加 --skip-bad 则跳过有误的行，并把它们写入 --rejects 文件。
    """


def _import_command(kind: str, label: str) -> click.Command:
    @click.argument(
        "path", metavar="FILE.csv", type=click.Path(exists=True, dir_okay=False, path_type=Path)
    )
    @click.option("--encoding", metavar="NAME", help=ENCODING_HELP)
    @click.option("--skip-bad", is_flag=True, help="跳过有误的行，其余照常导入。")
    @click.option(
        "--rejects",
        type=click.Path(dir_okay=False, path_type=Path),
        help="写入被拒绝行的文件（默认与输入文件同目录，名为 *.rejects.csv）。",
    )
    @click.option(
        "--city", metavar="CODE", help="本市辖区代码：户籍在本市的人员记为本地人口（仅 persons）。"
    )
    @json_option
    @click.pass_obj
    def command(
        app: App,
        path: Path,
        encoding: str | None,
        skip_bad: bool,
        rejects: Path | None,
        city: str | None,
        as_json: bool,
    ) -> None:
        try:
            text, used = csvfiles.decode(path.read_bytes(), encoding)
            header, rows = csvfiles.read_rows(text, kind)
        except csvfiles.CsvError as exc:
            raise Refusal(f"无法读取 {path.name}：{exc}。") from None
        how = "按 --encoding 指定" if encoding else "自动识别"
        note(f"{path.name}：{len(rows)} 行，编码 {used}（{how}）")
        try:
            with app.sessions.begin() as session, bar(f"导入{label}", as_json=as_json) as shown:
                outcome = csvimport.import_file(
                    session,
                    app.ctx,
                    kind,
                    rows,
                    file_name=path.name,
                    city=city,
                    skip_bad=skip_bad,
                    progress=shown,
                )
        except csvimport.RowsRejected as exc:
            bad = exc.outcome.rejected
            for row, reason in bad[:50]:
                note(f"第 {row.line} 行：{reason}")
            raise Refusal(
                f"{len(bad)} 行有误（第一处在第 {bad[0][0].line} 行），未导入任何记录："
                "请改正后重新导入，或加 --skip-bad 跳过有误的行。"
            ) from None
        bad = outcome.rejected
        for row, reason in bad[:50]:
            note(f"第 {row.line} 行：{reason}")
        target = None
        if bad:
            target = rejects or path.with_name(path.stem + ".rejects.csv")
            csvfiles.write_rejects(target, header, bad)
        data = {
            "kind": kind,
            "file": str(path),
            "encoding": used,
            "imported": outcome.imported,
            "rejected": len(bad),
            "rejects_file": str(target) if target else None,
            "errors": [{"line": r.line, "reason": why} for r, why in bad],
        }
        emit(
            as_json,
            data,
            lambda: (
                f"已导入{label} {outcome.imported} 条"
                + (f"，跳过 {len(bad)} 行（已写入 {target}）" if bad else "")
                + "。"
            ),
        )

    command.__doc__ = f"从 CSV 导入{label}（FILE.csv 首行为列名，见 docs/cli-json.md）。"
    return click.command(kind)(command)


for _kind, _label in (("persons", "人员"), ("houses", "房屋"), ("employers", "单位")):
    import_group.add_command(_import_command(_kind, _label))


@click.group("export")
def export_group() -> None:
    """把人员、房屋、单位导出为 CSV（证件号码默认脱敏，公式已中和）。"""


def _export_command(kind: str, label: str) -> click.Command:
    @click.option(
        "--out",
        required=True,
        type=click.Path(dir_okay=False, path_type=Path),
        metavar="FILE.csv",
        help="输出文件。",
    )
    @click.option(
        "--full-ids",
        is_flag=True,
        help="导出完整证件号码和电话（敏感个人信息，导出记入审计日志）。",
    )
    @click.option(
        "--jurisdiction", "code", metavar="CODE", help="只导出此辖区及其下级（房屋、单位）。"
    )
    @click.option(
        "--encoding",
        default="utf-8-sig",
        show_default=True,
        metavar="NAME",
        help="输出编码；utf-8-sig 带 BOM，Excel 可直接打开；也可用 gb18030。",
    )
    @json_option
    @click.pass_obj
    def command(
        app: App, out: Path, full_ids: bool, code: str | None, encoding: str, as_json: bool
    ) -> None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise click.BadParameter(f"不认识的编码 {encoding}", param_hint="--encoding") from None
        if codecs.lookup(encoding).name not in csvfiles.EXPORT_ENCODINGS:
            raise click.BadParameter(
                f"{encoding} 不是导出 CSV 可用的编码：请用 utf-8、utf-8-sig、gbk 或 gb18030",
                param_hint="--encoding",
            )
        try:
            # The file appears whole, or not at all (a temporary file renamed onto it).
            with (
                csvfiles.written_whole(out, encoding) as handle,
                app.sessions.begin() as session,
                bar(f"导出{label}", as_json=as_json) as shown,
            ):
                count = csvexport.export_file(
                    session,
                    app.ctx,
                    kind,
                    handle,
                    full_ids=full_ids,
                    jurisdiction=code,
                    progress=shown,
                )
        except csvfiles.CsvError as exc:
            raise Refusal(f"无法导出到 {out.name}：{exc}。") from None
        except OSError as exc:
            raise Refusal(f"无法写入 {out}：{os_reason(exc)}。") from None
        data = {"kind": kind, "file": str(out), "rows": count, "masked": not full_ids}
        emit(
            as_json,
            data,
            lambda: (
                f"已导出{label} {count} 条到 {out}"
                + ("" if full_ids else "（证件号码已脱敏）")
                + "。"
            ),
        )

    command.__doc__ = f"导出{label}到 CSV。"
    return click.command(kind)(command)


for _kind, _label in (("persons", "人员"), ("houses", "房屋"), ("employers", "单位")):
    export_group.add_command(_export_command(_kind, _label))

COMMANDS = [import_group, export_group]
