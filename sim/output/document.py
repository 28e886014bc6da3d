"""The report's document model and its two renderings: self-contained HTML and Markdown.

Blocks are paragraphs (text, escaped), tables, figures (PNG files, embedded as base64
in the HTML and linked by relative path in the Markdown) and trusted HTML fragments
(the interactive map: inlined scripts, no network). A section may carry a CSS class;
the ``verdict`` section prints on one A4 page of its own.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim import __version__

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;margin:2em auto;
max-width:1100px;padding:0 1em;color:#222;line-height:1.4}
h1{margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
.meta{color:#666}
table{border-collapse:collapse;margin:.6em 0 1.2em}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.pass{color:#1a7f1a;font-weight:bold}.fail{color:#b00020;font-weight:bold}
.banner{border:3px solid #b00020;background:#fde8ea;color:#600;padding:.8em 1em;
margin:1em 0;font-size:1.1em}
.status-synthetic,.status-proxy,.status-estimated{color:#b00020;font-weight:bold}
.status-derived{color:#8a5a00}.status-real{color:#1a7f1a}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{color:#555;font-size:.9em}
.verdict{border:2px solid #333;padding:.6em 1em;margin:1em 0;font-size:.92em}
.verdict h2{margin-top:.2em}.verdict table{font-size:.9em;width:100%}
.verdict td{line-height:1.25}.verdict td.pass,.verdict td.fail{font-weight:normal}
.verdict p{margin:.35em 0}
.caveat{color:#600;font-weight:bold}
@page{size:A4;margin:12mm}
@media print{body{max-width:none;margin:0;padding:0;font-size:9pt}
.verdict{break-after:page;page-break-after:always;border:none;padding:0;margin:0}
.interactive-map,.no-print{display:none}figure{break-inside:avoid}}
"""


@dataclass
class Table:
    """A table of already formatted cells; ``classes`` styles cells (same shape, optional)."""

    header: list[str]
    rows: list[list[str]]
    caption: str = ""
    classes: list[list[str]] = field(default_factory=list)


@dataclass
class Figure:
    """A PNG file and its caption; ``name`` is its relative path in the Markdown report."""

    path: Path
    name: str
    caption: str


@dataclass
class Html:
    """A trusted HTML fragment (made by this package, e.g. the interactive map) and the
    line the Markdown report shows instead."""

    html: str
    markdown: str


Block = str | Table | Figure | Html


@dataclass
class Section:
    """A heading followed by blocks: paragraphs (str), tables, figures and HTML fragments.

    ``css_class`` styles the section (``verdict``: one printed A4 page of its own).
    """

    title: str
    blocks: list[Block] = field(default_factory=list)
    level: int = 2
    css_class: str = ""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _html_table(table: Table) -> str:
    out = ["<table>"]
    if table.caption:
        out.append(f"<caption>{_e(table.caption)}</caption>")
    out.append("<tr>" + "".join(f"<th>{_e(h)}</th>" for h in table.header) + "</tr>")
    for i, row in enumerate(table.rows):
        cls = table.classes[i] if i < len(table.classes) else []
        cells = []
        for j, cell in enumerate(row):
            c = cls[j] if j < len(cls) else ""
            attr = f' class="{_e(c)}"' if c else ""
            cells.append(f"<td{attr}>{_e(cell)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _html_figure(fig: Figure) -> str:
    data = base64.b64encode(fig.path.read_bytes()).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{_e(fig.caption)}">'
            f"<figcaption>{_e(fig.caption)}</figcaption></figure>")


def _html_section(section: Section) -> str:
    cls = f' class="{_e(section.css_class)}" id="{_e(section.css_class)}"' \
        if section.css_class else ""
    parts = [f"<section{cls}><h{section.level}>{_e(section.title)}</h{section.level}>"]
    for block in section.blocks:
        if isinstance(block, Table):
            parts.append(_html_table(block))
        elif isinstance(block, Figure):
            parts.append(_html_figure(block))
        elif isinstance(block, Html):
            parts.append(block.html)
        else:
            parts.append(f"<p>{_e(block)}</p>")
    parts.append("</section>")
    return "\n".join(parts)


def render_html(title: str, date: str, banner: list[str], sections: list[Section]) -> str:
    """The self-contained HTML document; the verdict section comes first, before the banner."""
    parts = ["<!DOCTYPE html>", '<html lang="no">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{_e(title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
             f"<h1>{_e(title)}</h1>",
             f'<p class="meta">Generated {_e(date)} by baerum-sim {_e(__version__)}</p>']
    top = [s for s in sections if s.css_class == "verdict"]
    for section in top:
        parts.append(_html_section(section))
    if banner:
        parts.append('<div class="banner" id="data-warning" role="alert">'
                     + "".join(f"<p><strong>{_e(line)}</strong></p>" for line in banner)
                     + "</div>")
    parts += [_html_section(s) for s in sections if s not in top]
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _md(text: Any) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(title: str, date: str, banner: list[str], sections: list[Section]) -> str:
    """The Markdown version; figures are linked by their relative ``name``."""
    lines = [f"# {title}", "", f"Generated {date} by baerum-sim {__version__}", ""]
    for line in banner:
        lines += [f"> **⚠ {line}**", ">"]
    if banner:
        lines[-1] = ""
    for section in sections:
        lines += [f"{'#' * section.level} {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, Table):
                if block.caption:
                    lines += [f"*{_md(block.caption)}*", ""]
                lines.append("| " + " | ".join(_md(h) for h in block.header) + " |")
                lines.append("|" + "---|" * len(block.header))
                lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in block.rows]
                lines.append("")
            elif isinstance(block, Figure):
                lines += [f"![{_md(block.caption)}]({block.name})", "", f"*{block.caption}*", ""]
            elif isinstance(block, Html):
                lines += [block.markdown, ""]
            else:
                lines += [str(block), ""]
    return "\n".join(lines)
