"""The report as Quarto builds it: HTML and Typst PDF rendered once per session from a copy of the
project, then read back (`pdftotext`, `pdfinfo`, the HTML) for what a reader would see wrong.

Rendering needs the Quarto CLI (and poppler-utils for reading the PDF); without them these tests
skip, except in CI (`CI=true`), where a missing Quarto is a failure.
"""

from __future__ import annotations

import html as html_lib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

#: the most pages the body (everything before the Appendix heading) may take in the PDF
BODY_PAGES = 12
#: how far past the right text margin a word may reach before the page is overfull (points)
MARGIN_SLACK = 6.0
#: the report's side margins (`_quarto.yml`: format.typst.margin.x), in points
MARGIN_X = 1.5 / 2.54 * 72
#: what a project copy needs to render (no outputs, no virtual environment)
COPIED = ("report.qmd", "_quarto.yml", "analysis", "codegen_study", "data", "pyproject.toml")

#: inline code left as text: one backtick, a short run of text, one backtick (not ``` fences)
LITERAL_BACKTICKS = re.compile(r"(?<!`)`[^`\s][^`\n]{0,80}`(?!`)")
PLACEHOLDER = re.compile(r"<IPython\.[\w.]+ object>|IPython\.core\.display\.\w+ object")
UNEVALUATED = re.compile(r"\{python\}")
#: a resource the page would load from the network (script, stylesheet, image, font, CSS import)
EXTERNAL = re.compile(r"""(?:\bsrc\s*=\s*["']?|<link\b[^>]*\bhref\s*=\s*["']?|url\(\s*["']?|@import\s+["'])https?://""",
                      re.I)


def tools_missing() -> list[str]:
    return [tool for tool in ("quarto", "pdftotext", "pdfinfo") if shutil.which(tool) is None]


def literal_backticks(text: str) -> list[str]:
    return LITERAL_BACKTICKS.findall(text)


def html_prose(page: str) -> str:
    """The HTML page's visible text outside code, scripts and styles."""
    page = re.sub(r"<(script|style|pre|code|svg)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", page))


def external_references(page: str) -> list[str]:
    return [page[m.start():m.end() + 60] for m in EXTERNAL.finditer(page)]


def pdf_pages(pdf: Path) -> list[str]:
    """The text of every page (`pdftotext` keeps a form feed between pages)."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:page_count(pdf)]


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, flags=re.M).group(1))


def appendix_page(pages: list[str]) -> int | None:
    """1-based page of the Appendix heading (a numbered heading line, not its table-of-contents entry)."""
    for number, text in enumerate(pages, start=1):
        if re.search(r"^\s*\d+\s+Appendix\s*$", text, flags=re.M):
            return number
    return None


def overfull_words(pdf: Path) -> list[tuple[int, str, float]]:
    """(page, word, right edge) of words that reach past the right text margin: a table or
    figure wider than the page."""
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    out = []
    for number, (width, body) in enumerate(re.findall(r"<page width=\"([\d.]+)\"[^>]*>(.*?)</page>", xml, flags=re.S),
                                           start=1):
        limit = float(width) - MARGIN_X + MARGIN_SLACK
        for x_max, word in re.findall(r"<word [^>]*xMax=\"([\d.]+)\"[^>]*>(.*?)</word>", body):
            if float(x_max) > limit:
                out.append((number, html_lib.unescape(word), float(x_max)))
    return out


# -- the checkers catch what they are meant to ----------------------------------------------------
def test_checkers_catch_artefacts():
    assert literal_backticks("the `train` prompt") == ["`train`"]
    assert literal_backticks("a fence ```python\nx\n``` stays") == []
    assert PLACEHOLDER.search("x <IPython.core.display.HTML object> y")
    assert UNEVALUATED.search("left as `{python} f(x)`")
    assert html_prose("<p>ok</p><pre>`x`</pre><code>`y`</code>") .strip() == "ok"
    assert external_references('<script src="https://cdn.x/require.js"></script>')
    assert external_references("<link rel=stylesheet href='http://x/a.css'>")
    assert not external_references('<a href="https://atcoder.jp/contests/abc368/tasks/abc368_b">a link</a>')
    pages = ["Table of contents\n6 Appendix . . . . 8\n", "body", "6 Appendix\nLong tables"]
    assert appendix_page(pages) == 3


# -- the rendered report ----------------------------------------------------------------------------
@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    """report.html and report.pdf rendered by `quarto render` in a copy of the project."""
    missing = tools_missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must render the report, but {', '.join(missing)} is not installed")
        pytest.skip(f"needs {', '.join(missing)} (Quarto CLI and poppler-utils)")
    project = tmp_path_factory.mktemp("quarto") / "project"
    project.mkdir()
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy2(source, project / name)
    env = dict(os.environ, QUARTO_PYTHON=sys.executable, PYTHONPATH=str(project))
    start = time.perf_counter()
    proc = subprocess.run(["quarto", "render", "report.qmd"], cwd=project, env=env, capture_output=True, text=True,
                          timeout=1200)
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr[-4000:]
    html, pdf = project / "report.html", project / "report.pdf"
    assert html.exists() and pdf.exists(), sorted(p.name for p in project.iterdir())
    return dict(html=html.read_text(encoding="utf-8"), pdf=pdf, pages=pdf_pages(pdf), seconds=seconds,
                project=project)


@pytest.mark.slow
def test_no_display_placeholders(rendered):
    assert not PLACEHOLDER.search("\n".join(rendered["pages"]))
    assert not PLACEHOLDER.search(html_prose(rendered["html"]))


@pytest.mark.slow
def test_no_unevaluated_inline_code(rendered):
    assert not UNEVALUATED.search("\n".join(rendered["pages"]))
    assert not UNEVALUATED.search(rendered["html"])


@pytest.mark.slow
def test_no_literal_backticks_in_prose(rendered):
    assert literal_backticks("\n".join(rendered["pages"])) == []
    assert literal_backticks(html_prose(rendered["html"])) == []


@pytest.mark.slow
def test_no_table_wider_than_the_page(rendered):
    assert overfull_words(rendered["pdf"]) == []


@pytest.mark.slow
def test_html_is_self_contained(rendered):
    assert external_references(rendered["html"]) == []
    assert "<svg" in rendered["html"] or "data:image/svg+xml" in rendered["html"]  # charts embedded


@pytest.mark.slow
def test_body_fits_in_twelve_pages(rendered):
    appendix = appendix_page(rendered["pages"])
    assert appendix is not None, "no Appendix heading in the PDF"
    assert appendix - 1 <= BODY_PAGES, f"body is {appendix - 1} pages"


@pytest.mark.slow
def test_csv_files_listed_in_pdf_and_linked_in_html(rendered):
    text = "\n".join(rendered["pages"])
    assert "report-tables/per-problem-heldout.csv" in text
    assert (rendered["project"] / "report-tables" / "per-problem-heldout.csv").exists()
    assert 'download="per-problem-heldout.csv"' in rendered["html"]
