"""report.qmd: every chunk runs (fixtures, partial/empty stores, data/runs when present), the
prose holds no hand-typed Pass@1 figure, and the offline preview shows its charts in Chromium."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path
from unittest import mock

import pytest
from test_quarto import html_prose, literal_backticks

from analysis import render
from codegen_study.store import find_stores
from tests.conftest import FIXTURES, ROOT

REPORT = ROOT / "report.qmd"
STORE = FIXTURES / "store" / "runs"
CHROMIUM = Path("/usr/bin/chromium")
#: the top-level sections, in the order a reader meets them
SECTIONS = ["Question and answer", "Methods", "Results", "Significance and power", "Sensitivity", "Limitations",
            "Appendix"]


def render_preview(data: Path, out: Path) -> str:
    with mock.patch.dict("os.environ", {"CODEGEN_STUDY_DATA": str(data)}):
        render.write_preview(REPORT, out)
    return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def preview(tmp_path_factory):
    """Render the fixture report through the main command with Quarto hidden from PATH."""
    out = tmp_path_factory.mktemp("preview") / "report.html"
    with mock.patch.object(render.shutil, "which", return_value=None), mock.patch("builtins.print") as printed:
        assert render.main(["--data", str(STORE), "--out", str(out)]) == 0
    message = " ".join(str(a) for call in printed.call_args_list for a in call.args)
    return out, out.read_text(encoding="utf-8"), message


# -- structure of report.qmd -----------------------------------------------------------------
def test_every_chunk_is_labelled_and_captioned():
    nb = render.read_notebook(REPORT.read_text(encoding="utf-8"))
    code = [c for c in nb.cells if c.cell_type == "code"]
    labels = [render.cell_options(c.source).get("label") for c in code]
    assert all(labels) and len(set(labels)) == len(labels)
    for cell, label in zip(code, labels):
        if label.startswith(("fig-", "tbl-")):
            assert render.cell_options(cell.source).get(label[:3] + "-cap"), label
    assert {"tbl-answer", "fig-arms", "fig-checkpoints", "fig-dates", "tbl-errors", "tbl-mcnemar", "tbl-sampled",
            "tbl-prompt", "tbl-cost", "tbl-config-diff", "tbl-original", "per-problem"} <= set(labels)


def test_top_level_sections_in_order():
    text = REPORT.read_text(encoding="utf-8")
    assert re.findall(r"^## (.+?) \{#sec-[\w-]+\}$", text, flags=re.M) == SECTIONS
    # the first screen: the question, one sentence of answer (family-level tests), the 2 x 2 table, the format control
    first = text[text.index("## Question and answer"):text.index("## Methods")]
    for needle in ("**Question.**", "**The original claim.**",
                   "**Answer.** `{python} Markdown(family_tests.answer_sentence(fam_tests))`", "label: tbl-answer",
                   "design.headline_2x2(fam_rows)", "methods.format_sentence(fam_rows)"):
        assert needle in first
    assert (first.index("**Question.**") < first.index("answer_sentence") < first.index("label: tbl-answer")
            < first.index("format_sentence"))
    # methods (budget, stop reasons) before any result
    assert text.index("methods.budget_paragraph") < text.index("probe.probe_sentence") < text.index("## Results")
    # per-problem tables only in the appendix
    assert text.index("label: per-problem") > text.index("## Appendix")


def test_quarto_never_serves_frozen_output():
    config = (ROOT / "_quarto.yml").read_text(encoding="utf-8")
    assert re.search(r"^\s*freeze:\s*false\s*$", config, flags=re.M)


def test_report_names_its_kernel_and_shows_no_html_displays():
    """A bare `quarto render` must use the python3 kernel, and for PDF Quarto keeps only the text
    form of an HTML display, so chunks show Markdown (`analysis.blocks`), never `HTML(...)`."""
    text = REPORT.read_text(encoding="utf-8")
    header = text.split("\n---\n", 1)[0]
    assert re.search(r"^jupyter:\s*python3\s*$", header, flags=re.M)
    assert "HTML(" not in text and "import HTML" not in text
    assert "embed-resources: true" in (ROOT / "_quarto.yml").read_text(encoding="utf-8")


def test_setup_reads_store_from_env_var():
    text = REPORT.read_text(encoding="utf-8")
    assert 'os.environ.get("CODEGEN_STUDY_DATA", "data/runs")' in text
    assert 'alt.renderers.enable("svg")' in text


#: numbers that look like results: fractions (12/41), percentages, decimals (0.29)
FIGURE = re.compile(r"(?<![\w.@-])(\d+\s*/\s*\d+|\d+(?:\.\d+)?\s*%|\d*\.\d+)(?!\w|\.\d)")
ALLOWED = {"95%"}  # the confidence level of the intervals, not a result


def literal_figures(qmd_text: str) -> list[str]:
    """Result-like numbers typed into prose (outside YAML, code chunks and inline expressions)."""
    text = re.sub(r"\A---\n.*?\n---\n", "", qmd_text, flags=re.S)
    text = re.sub(r"^```\{python\}.*?^```", "", text, flags=re.S | re.M)
    text = render.INLINE.sub("", text)
    return [m for m in FIGURE.findall(text) if m.replace(" ", "") not in ALLOWED]


def test_checker_catches_hand_typed_figures():
    assert literal_figures("Base solved 8/41, i.e. 19.5% or 0.195.\n") == ["8/41", "19.5%", "0.195"]
    assert literal_figures("The `{python} f'{k}/{n}'` model Qwen2.5-Coder-1.5B at 95% CI.\n") == []


def test_no_literal_pass_at_1_figure_in_prose():
    assert literal_figures(REPORT.read_text(encoding="utf-8")) == []


# -- executing every chunk ---------------------------------------------------------------------
@pytest.mark.slow
def test_preview_on_fixtures(preview):
    out, html, message = preview
    assert message.startswith("Quarto not found: wrote offline preview") and str(out) in message
    assert "{python}" not in html and "class='error'" not in html
    assert "OFFLINE PREVIEW, not the Quarto report" in html  # marked as what it is
    assert html.count("<svg") >= 4  # arms, checkpoints, contest dates, failures
    for n in range(1, 5):
        assert f"<b>Figure {n}:</b>" in html
    assert "Reported, not reproduced" in html and "https://atcoder.jp/contests/" in html
    assert "Deep 4.7 / 0.7 / 0" in html  # the generated answer, evaluated in the kernel
    assert "EOFError" in html and "data:text/csv;base64," in html and "&lt;|im_start|&gt;user" in html
    assert "cdn." not in html and "<script src" not in html  # offline, self-contained
    assert literal_backticks(html_prose(html)) == [] and "IPython.core.display" not in html
    assert "{=html}" not in html and "content-visible" not in html  # Quarto markup resolved
    h2 = [re.sub(r"<[^>]+>", "", t) for t in re.findall(r"<h2[^>]*>(.*?)</h2>", html, flags=re.S)]
    assert h2 == SECTIONS


@pytest.mark.slow
def test_preview_on_a_partial_store(tmp_path):
    runs = tmp_path / "runs"
    shutil.copytree(STORE / "base", runs / "base")  # one model, no adapters, no corpus card
    html = render_preview(runs, tmp_path / "r.html")
    assert "class='error'" not in html and "not run" in html and "no corpus card" in html


@pytest.mark.slow
def test_preview_on_an_empty_store(tmp_path):
    html = render_preview(tmp_path / "empty", tmp_path / "r.html")
    assert "No scoring runs were found" in html and "class='error'" not in html


@pytest.mark.slow
@pytest.mark.skipif(not find_stores(ROOT / "data" / "runs"), reason="data/runs holds no runs yet")
def test_preview_on_committed_runs(tmp_path):
    html = render_preview(ROOT / "data" / "runs", tmp_path / "r.html")
    assert "{python}" not in html and "class='error'" not in html and html.count("<svg") >= 3


# -- the page in a browser ------------------------------------------------------------------
def png_rgb(path: Path):
    """Decode an 8-bit RGB/RGBA PNG (what Chromium writes) into (width, height, rows of bytes)."""
    data = path.read_bytes()
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and color in (2, 6)
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw, stride, prev, rows = zlib.decompress(idat), width * bpp, bytearray(width * bpp), []
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line) if bpp == 3 else bytes(v for j, v in enumerate(line) if j % 4 != 3))
        prev = line
    return width, height, rows


def chart_pixels(path: Path, rgb=(245, 133, 24), tol=40) -> int:
    """Pixels close to Vega's second category colour (orange), which only the charts use."""
    _, _, rows = png_rgb(path)
    return sum(1 for row in rows for i in range(0, len(row), 3)
               if abs(row[i] - rgb[0]) + abs(row[i + 1] - rgb[1]) + abs(row[i + 2] - rgb[2]) < tol)


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium (apt-get install -y chromium)")
def test_preview_screenshot_shows_charts(preview, tmp_path):
    from tools.screenshot import screenshot

    out, html, _ = preview
    full = screenshot(out, out.with_suffix(".png"), 1280, 4000)  # kept beside the preview to look at
    assert full.stat().st_size > 50_000
    # only the figures, at half scale, keep the pure-Python PNG decoding quick
    figures_only = '<style>body>*:not(figure[id^="fig-"]){display:none!important} body{zoom:0.5}</style>'
    small = tmp_path / "small.html"
    small.write_text(html.replace("</head>", figures_only + "</head>"), encoding="utf-8")
    with_charts = chart_pixels(screenshot(small, tmp_path / "small.png", 640, 900))
    blank = tmp_path / "nocharts.html"  # control: the same page with the SVG charts removed
    blank.write_text(re.sub(r"<svg.*?</svg>", "", small.read_text(encoding="utf-8"), flags=re.S), encoding="utf-8")
    without = chart_pixels(screenshot(blank, tmp_path / "nocharts.png", 640, 900))
    assert with_charts > 50 and without < with_charts / 10, (with_charts, without)


#: run inside the page by Chromium: where the first screen ends and which tables stick out
LAYOUT_PROBE = """<script>
(function () {
  var right = document.body.getBoundingClientRect().right;
  var wide = Array.prototype.filter.call(document.querySelectorAll('table'), function (t) {
    return t.getBoundingClientRect().right > right + 1;
  }).map(function (t) { var f = t.closest('figure,div.chunk'); return f ? f.id : '?'; });
  function bottom(sel) { var e = document.querySelector(sel); return e ? e.getBoundingClientRect().bottom : -1; }
  var answer = Array.prototype.find.call(document.querySelectorAll('p'), function (p) {
    return p.textContent.indexOf('Answer.') === 0; });
  document.body.setAttribute('data-probe', JSON.stringify({wide: wide, table: bottom('#tbl-answer table'),
    answer: answer ? answer.getBoundingClientRect().bottom : -1, question: bottom('#sec-answer + p')}));
})();
</script>"""


def probe_layout(html: str, path: Path, width: int, height: int, extra_css: str = "") -> dict:
    """Open `html` in headless Chromium at width x height and read back `LAYOUT_PROBE`'s findings."""
    import json

    path.write_text(html.replace("</head>", f"<style>{extra_css}</style></head>")
                    .replace("</body>", LAYOUT_PROBE + "</body>"), encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                               "--disable-background-networking", "--disable-component-update", "--disable-sync",
                               f"--user-data-dir={profile}", f"--window-size={width},{height}", "--dump-dom",
                               path.resolve().as_uri()], capture_output=True, text=True, timeout=120)
    found = re.search(r'data-probe="([^"]*)"', proc.stdout)
    assert found, proc.stderr[-2000:]
    return json.loads(found.group(1).replace("&quot;", '"'))


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium (apt-get install -y chromium)")
def test_first_screen_shows_question_answer_and_results_table(preview, tmp_path):
    _, html, _ = preview
    probe = probe_layout(html, tmp_path / "first.html", 1280, 800)
    assert 0 < probe["question"] < probe["answer"] < probe["table"] <= 800, probe


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium (apt-get install -y chromium)")
def test_no_table_wider_than_a_printed_page(preview, tmp_path):
    _, html, _ = preview
    # A4 portrait at 96 dpi less the default print margins, with the page's own print rules applied
    printed = "figure,.chunk{overflow:visible!important} body{max-width:none;margin:0}"
    probe = probe_layout(html, tmp_path / "print.html", 718, 1000, printed)
    assert probe["wide"] == [], probe["wide"]
