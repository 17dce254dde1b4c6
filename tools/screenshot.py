"""Screenshot an HTML file with headless Debian Chromium (`apt-get install -y chromium`).

Usage: python tools/screenshot.py preview/report.html preview/report.png [--height 4000]

Why a script: the report's charts are SVG produced at render time; the only way to know they
show up in a browser is to open the page in one. The flags keep Chromium offline and quiet
(no sync, no component updates, no QUIC, a throw-away profile), so it also works in CI
containers without a network. `tests/report/test_report.py` calls `screenshot` and skips without
/usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")


def screenshot(html_path: Path, png_path: Path, width: int = 1280, height: int = 4000,
               chromium: Path = CHROMIUM, timeout: int = 120) -> Path:
    """Render `html_path` in headless Chromium and save a PNG; raise if none was written."""
    html_path, png_path = Path(html_path).resolve(), Path(png_path).resolve()
    png_path.parent.mkdir(parents=True, exist_ok=True)
    if png_path.exists():
        png_path.unlink()
    with tempfile.TemporaryDirectory() as profile:
        cmd = [str(chromium), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--hide-scrollbars", f"--user-data-dir={profile}", f"--screenshot={png_path}",
               f"--window-size={width},{height}", html_path.as_uri()]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if not png_path.exists() or png_path.stat().st_size == 0:
        raise RuntimeError(f"chromium wrote no screenshot (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return png_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html")
    parser.add_argument("png")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=4000)
    args = parser.parse_args(argv)
    print(screenshot(Path(args.html), Path(args.png), args.width, args.height))
    return 0


if __name__ == "__main__":
    sys.exit(main())
