"""Report blocks: Markdown that reads the same in Quarto's HTML, its Typst PDF and the offline preview.

Why Markdown and not HTML displays: for the PDF Quarto keeps only the text form of an HTML display
(`<IPython.core.display.HTML object>`), and any `text/html` display makes its HTML page load
require.js and jQuery from a CDN (widget support), so the page is no longer self-contained.
Every chunk therefore shows `Markdown`: prose, fenced code, links, and tables as raw-HTML blocks
(```` ```{=html} ````) that Quarto turns into real tables for Typst as well.

* `table(gt)`: a great_tables table as a raw-HTML Markdown block;
* `code(text)`: a fenced code block whose fence outlasts any backticks in the text;
* `csv(frame, name)`: writes `report-tables/<name>` and shows it as a download link in HTML
  (data URI: nothing beside the page to lose) and by its path in the PDF;
* `pvalue(p)`: "< 0.001" below a thousandth, three decimals otherwise;
* `html_only` / `pdf_only`: content for one family of formats (Quarto conditional divs, which
  `analysis.render` honours for the preview).

Does not cover: any statistic.
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

import polars as pl
from IPython.display import Markdown

#: where CSV files of long tables are written (relative to the report, i.e. the working directory)
CSV_DIR = Path("report-tables")


def pvalue(p: float | None) -> str:
    """A p-value as the report prints it: "< 0.001" below a thousandth, else three decimals."""
    if p is None:
        return "—"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def table(gt) -> Markdown:
    """A great_tables table as Markdown (a raw-HTML block), not as an HTML display."""
    return Markdown(raw_html(gt.as_raw_html()))


def raw_html(html: str) -> str:
    return f"\n```{{=html}}\n{html.strip()}\n```\n"


def code(text: str, lang: str = "") -> str:
    """`text` as a fenced code block; the fence is longer than any run of backticks inside."""
    runs = [len(m) for m in re.findall(r"`+", text)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return f"\n{fence}{lang}\n{text.rstrip()}\n{fence}\n"


def html_only(markdown: str) -> str:
    return f'\n::: {{.content-visible when-format="html"}}\n{markdown.strip()}\n:::\n'


def pdf_only(markdown: str) -> str:
    return f'\n::: {{.content-hidden when-format="html"}}\n{markdown.strip()}\n:::\n'


def csv(frame: pl.DataFrame, name: str, what: str, folder: Path | None = None) -> str:
    """Write `frame` to `<folder>/<name>` (atomically) and return the Markdown that points to it:
    a download link in HTML, the file's path in the PDF."""
    folder = CSV_DIR if folder is None else folder
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    text = frame.write_csv()
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    rows = f"{frame.height} rows"
    return (html_only(f"{what}: [{name} ({rows})](data:text/csv;base64,{data}){{download=\"{name}\"}}")
            + pdf_only(f"{what}: CSV file `{path.as_posix()}` ({rows}), written beside the report when it is "
                       "rendered."))


def show(*parts: str) -> Markdown:
    """Several Markdown pieces as one display."""
    return Markdown("\n\n".join(p for p in parts if p))
