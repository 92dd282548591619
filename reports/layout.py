"""The monthly report's layout primitives: tables, series and sections, which the PDF
renderer draws without knowing the domain."""

from __future__ import annotations

from dataclasses import dataclass

Cell = str | int


@dataclass(frozen=True)
class Table:
    """Rows of cells under a header; ``indents`` indent the first cell of each row."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    widths: tuple[float, ...] = ()  # relative column widths; equal when empty
    indents: tuple[int, ...] = ()
    total_rows: tuple[int, ...] = ()  # rows drawn as totals (bold background)


@dataclass(frozen=True)
class Series:
    """Named value lines over labelled points, drawn as one chart."""

    title: str
    labels: tuple[str, ...]
    lines: tuple[tuple[str, tuple[int, ...]], ...]
    kind: str = "line"  # line / bar


@dataclass(frozen=True)
class Section:
    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Series, ...] = ()


