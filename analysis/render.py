"""`python -m analysis.render`: build the report from the results store.

With the Quarto CLI on PATH this runs `quarto render` (HTML + Typst PDF, see `_quarto.yml`).
Without it, it still executes every chunk of `report.qmd` and writes an offline, self-contained
HTML preview (default `preview/report.html`), saying clearly that Quarto was not found:

1. `jupytext.reads(text, fmt="Rmd")` turns the .qmd into a notebook (```{python} chunks).
2. After every markdown cell holding inline expressions (`{python} expr`), a hidden cell is
   inserted that evaluates them in the same kernel, at the same point Quarto would.
3. `nbclient` runs the notebook on a kernel spec written to a temporary folder that points at
   *this* interpreter, so the venv's packages are used whatever kernels the machine has.
4. Markdown is rendered with `markdown`, the way Quarto reads it: an inline value is Markdown
   only when it is a `Markdown` object (plain strings are escaped), ```` ```{=html} ```` blocks
   pass through as HTML, other formats' raw blocks and `{{< pagebreak >}}` are dropped, and
   conditional divs keep what the HTML format would show. SVG charts are embedded as they are;
   figure/table captions are numbered and `@fig-`/`@tbl-`/`@sec-` cross-references resolved.
   Nothing is loaded from a CDN.

Does not cover: the PDF (Quarto + Typst only), or Quarto-specific markdown beyond the subset the
report uses (headings with `{#id}`, lists, emphasis, links, inline code, conditional divs).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INLINE = re.compile(r"`\{python\}\s+([^`]+)`")
OPTION = re.compile(r"^#\|\s*([\w-]+)\s*:\s*(.*?)\s*$")
XREF = re.compile(r"@((?:fig|tbl|sec)-[\w-]+)")
MARKER = "<<codegen-study-inline>>"
KERNEL = "codegen-study-python"


def read_notebook(text: str):
    """The .qmd as an nbformat notebook (YAML header as the first raw cell)."""
    import jupytext

    return jupytext.reads(text, fmt="Rmd")


def inline_expressions(markdown_text: str) -> list[str]:
    return [m.strip() for m in INLINE.findall(markdown_text)]


def cell_options(source: str) -> dict[str, str]:
    """Quarto `#| key: value` options at the top of a chunk (values unquoted)."""
    opts = {}
    for line in source.splitlines():
        m = OPTION.match(line)
        if not m:
            break
        value = m.group(2)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        opts[m.group(1)] = value
    return opts


def front_matter(nb) -> dict[str, str]:
    """title/subtitle from the YAML header (simple `key: "value"` lines only)."""
    if nb.cells and nb.cells[0].cell_type == "raw":
        return {k: v for k, v in (cell_options("\n".join("#| " + line for line in nb.cells[0].source.splitlines()
                                                         if ":" in line and not line.startswith(" "))).items())}
    return {}


def _inline_cell(expressions: list[str]):
    """A cell printing each expression's value as Markdown: a `Markdown` object's text as it is,
    anything else as escaped text (Quarto escapes inline values that are not Markdown)."""
    import nbformat

    code = (f"import json as _j\n"
            f"_v = [eval(_e, globals()) for _e in {expressions!r}]\n"
            f"print({MARKER!r} + _j.dumps([[hasattr(_x, '_repr_markdown_'), _x.data if hasattr(_x, '_repr_markdown_')"
            f" else str(_x)] for _x in _v]))")
    return nbformat.v4.new_code_cell(code, metadata={"codegen_inline": True})


#: characters Markdown would read as markup in an inline value that is plain text
MARKUP = re.compile(r"([\\`*_\[\]#])")
RAW_BLOCK = re.compile(r"^(`{3,})\{=(\w+)\}\n(.*?)\n\1\s*$", flags=re.S | re.M)
CONDITIONAL = re.compile(r'^:::\s*\{\.content-(visible|hidden)\s+when-format="(\w+)"\}\n(.*?)\n:::\s*$',
                         flags=re.S | re.M)
SHORTCODE = re.compile(r"\{\{<\s*pagebreak\s*>\}\}")


def inline_markdown(value) -> str:
    """An inline value as the preview inserts it: [is_markdown, text] from the inline cell."""
    is_markdown, text = value
    return text if is_markdown else MARKUP.sub(r"\\\1", html.escape(text, quote=False))


def to_markdown_html(text: str) -> str:
    """Quarto-flavoured Markdown (the subset the report uses) as HTML."""
    import markdown

    def conditional(m):
        shown = (m.group(1) == "visible") == (m.group(2) == "html")
        return m.group(3) if shown else ""

    text = CONDITIONAL.sub(conditional, SHORTCODE.sub("", text))
    raw: list[str] = []

    def keep(m):
        if m.group(2) != "html":
            return ""
        raw.append(m.group(3))
        return f"\n\nCODEGENRAW{len(raw) - 1}X\n\n"

    out = markdown.markdown(RAW_BLOCK.sub(keep, text), extensions=["attr_list", "tables", "fenced_code"])
    for i, block in enumerate(raw):
        out = out.replace(f"<p>CODEGENRAW{i}X</p>", block).replace(f"CODEGENRAW{i}X", block)
    return out


def kernel_manager(tmp: Path):
    """A kernel manager whose only kernel spec runs `sys.executable -m ipykernel_launcher`."""
    from ipykernel.kernelspec import write_kernel_spec
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    kernels = tmp / "kernels"
    write_kernel_spec(path=kernels / KERNEL, overrides={"display_name": "codegen-study (this Python)",
                                                        "argv": [sys.executable, "-m", "ipykernel_launcher",
                                                                 "-f", "{connection_file}"]})
    return KernelManager(kernel_name=KERNEL, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]))


def execute(nb, cwd: Path, timeout: int = 300):
    """Insert inline-expression cells, run every chunk, return (executed nb, inline values per cell)."""
    from nbclient import NotebookClient

    cells = []
    for cell in nb.cells:
        cells.append(cell)
        if cell.cell_type == "markdown" and inline_expressions(cell.source):
            cells.append(_inline_cell(inline_expressions(cell.source)))
    nb.cells = cells
    with tempfile.TemporaryDirectory() as tmp:
        km = kernel_manager(Path(tmp))
        NotebookClient(nb, km=km, timeout=timeout, resources={"metadata": {"path": str(cwd)}}).execute()
    values = {}
    for i, cell in enumerate(nb.cells):
        if cell.metadata.get("codegen_inline"):
            text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
            values[i - 1] = json.loads(text[text.index(MARKER) + len(MARKER):])
    return nb, values


def _numbering(nb) -> dict[str, str]:
    """label -> "Figure n" / "Table n" / section title, in document order."""
    names, counts = {}, {"fig": 0, "tbl": 0}
    for cell in nb.cells:
        if cell.cell_type == "code":
            label = cell_options(cell.source).get("label", "")
            kind = label.split("-", 1)[0]
            if kind in counts:
                counts[kind] += 1
                names[label] = f"{'Figure' if kind == 'fig' else 'Table'} {counts[kind]}"
        elif cell.cell_type == "markdown":
            for title, label in re.findall(r"^#+\s+(.*?)\s*\{#(sec-[\w-]+)\}", cell.source, flags=re.M):
                names[label] = title
    return names


def _output_html(output) -> str:
    if output.output_type == "stream":
        return "" if output.get("name") == "stderr" else f"<pre>{html.escape(output.text)}</pre>"
    if output.output_type == "error":
        return f"<pre class='error'>{html.escape(chr(10).join(output.traceback))}</pre>"
    data = output.get("data", {})
    if "image/svg+xml" in data:
        svg = data["image/svg+xml"]
        return svg if isinstance(svg, str) else "".join(svg)
    if "text/html" in data:
        return data["text/html"]
    if "text/markdown" in data:
        return to_markdown_html(data["text/markdown"])
    if "image/png" in data:
        return f"<img src='data:image/png;base64,{data['image/png']}'>"
    if "text/plain" in data:
        return f"<pre>{html.escape(data['text/plain'])}</pre>"
    return ""


CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:1em auto;padding:0 1em;
line-height:1.4;color:#222;font-size:15px} h1{margin:0;font-size:1.7em} h2{margin:.9em 0 .3em}
.subtitle{color:#555;margin:.1em 0 .4em}
.banner{background:#fff4d6;border:1px solid #e8c860;padding:.3em .8em;border-radius:6px;font-size:.85em;margin:.3em 0}
table{max-width:100%} td,th{overflow-wrap:anywhere}
@media print{body{max-width:none;margin:0} figure,.chunk{overflow:visible} svg{max-width:100%;height:auto}
table{width:100%!important;table-layout:auto} pre{white-space:pre-wrap;word-break:break-word}}
figure{margin:1.5em 0;overflow-x:auto} figcaption{font-size:.9em;color:#444;margin:.4em 0}
.chunk{overflow-x:auto;margin:1em 0} code{background:#f3f3f3;padding:0 .2em;border-radius:3px}
pre{background:#f7f7f7;padding:.5em;overflow-x:auto} a{color:#1a5fb4}
"""


def to_html(nb, values: dict[int, list[str]], banner: str = "") -> str:
    """The executed notebook as one self-contained HTML page (no external resources)."""
    names = _numbering(nb)
    meta = front_matter(nb)

    def xref(m):
        label = m.group(1)
        return f"[{names[label]}](#{label})" if label in names else m.group(0)

    parts = [f"<h1>{html.escape(meta.get('title', 'Report'))}</h1>"]
    if meta.get("subtitle"):
        parts.append(f"<p class='subtitle'>{html.escape(meta['subtitle'])}</p>")
    if banner:
        parts.append(f"<p class='banner'>{html.escape(banner)}</p>")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            it = iter(values.get(i, []))
            text = INLINE.sub(lambda m, it=it: inline_markdown(next(it)), cell.source)
            parts.append(to_markdown_html(XREF.sub(xref, text)))
        elif cell.cell_type == "code" and not cell.metadata.get("codegen_inline"):
            opts = cell_options(cell.source)
            if opts.get("include") == "false":
                continue
            body = "".join(_output_html(o) for o in cell.outputs)
            label = opts.get("label", "")
            if label.startswith(("fig-", "tbl-")):
                cap = f"<figcaption><b>{names[label]}:</b> {html.escape(opts.get(label[:3] + '-cap', ''))}</figcaption>"
                inner = (cap + body) if label.startswith("tbl-") else (body + cap)
                parts.append(f"<figure id='{label}'>{inner}</figure>")
            else:
                parts.append(f"<div class='chunk' id='{html.escape(label)}'>{body}</div>")
    title = ("[offline preview] " if banner else "") + html.escape(meta.get("title", "Report"))
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
            f"<style>{CSS}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n")


def write_preview(qmd: Path, out: Path, banner: str = "", timeout: int = 300) -> Path:
    """Execute `qmd` and write the offline HTML preview to `out` (atomically)."""
    nb, values = execute(read_notebook(qmd.read_text(encoding="utf-8")), qmd.parent, timeout)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(to_html(nb, values, banner), encoding="utf-8")
    os.replace(tmp, out)
    return out


def quarto_render(project: Path) -> int:
    env = dict(os.environ, QUARTO_PYTHON=sys.executable)
    return subprocess.run(["quarto", "render"], cwd=project, env=env).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.render", description=__doc__.splitlines()[0])
    parser.add_argument("--data",
                        help="results store (folder of run folders); default $CODEGEN_STUDY_DATA or data/runs")
    parser.add_argument("--out", default="preview/report.html", help="offline preview path (without Quarto)")
    parser.add_argument("--preview", action="store_true", help="write the offline preview even if Quarto is installed")
    args = parser.parse_args(argv)
    if args.data:
        os.environ["CODEGEN_STUDY_DATA"] = str(Path(args.data).resolve())
    start = time.perf_counter()
    if shutil.which("quarto") and not args.preview:
        rc = quarto_render(ROOT)
        seconds = time.perf_counter() - start
        print(f"quarto render finished (exit {rc}) in {seconds:.1f} s: see report.html / report.pdf")
        return rc
    banner = ("OFFLINE PREVIEW, not the Quarto report: every chunk was executed by \"python -m analysis.render\" "
              "without Quarto; run \"quarto render\" for the HTML + PDF report.")
    out = write_preview(ROOT / "report.qmd", (Path.cwd() / args.out).resolve(), banner)
    reason = "--preview given" if shutil.which("quarto") else "Quarto not found"
    print(f"{reason}: wrote offline preview {out} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
