#!/usr/bin/env python3
"""Render the work plans and reports of a plan store (work/plans) to PNG with headless Chromium, to
look at them as the city reads them: `make screenshots` (not part of `make test`).

    python tools/screenshot_plans.py [PLANS_DIR] [OUT_DIR]   (default work/plans work/screenshots)

Each plan folder's plan.html and report.html become <plan id>-plan.png and <plan id>-report.png, and
each chart of a document (svg.gantt) also <plan id>-plan-chart<n>.png, the chart alone. Chromium and
the Japanese fonts come from Debian (chromium, fonts-noto-cjk) and are installed when missing (as
root, like lab/install-deps.sh). Chromium runs with no network, sync, GPU or first-run work and an
empty profile of its own.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGES = ("chromium", "fonts-noto-cjk")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)
WIDTH = 1400
MAX_HEIGHT = 16000  # Chromium draws no taller screenshot


def missing_packages() -> list[str]:
    missing = []
    for pkg in PACKAGES:
        status = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True, check=False
        ).stdout
        if "install ok installed" not in status:
            missing.append(pkg)
    return missing


def ensure_chromium() -> str:
    missing = missing_packages() if shutil.which("dpkg-query") else []
    if missing:
        if os.geteuid() != 0:
            sys.exit(f"screenshots: need root to install: {' '.join(missing)}")
        print(f"screenshots: installing {' '.join(missing)}", file=sys.stderr)
        env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
    binary = shutil.which("chromium")
    if not binary:
        sys.exit("screenshots: no chromium on PATH")
    return binary


def page_height(text: str) -> int:
    """A height that holds the whole page (rows, list items, headings, diff lines and charts), so that
    one screenshot shows it all; blank space below the end is harmless."""
    height = 400
    height += 34 * len(re.findall(r"<tr[\s>]", text))
    height += 30 * len(re.findall(r"<li[\s>]", text))
    height += 70 * len(re.findall(r"<h[23][\s>]", text))
    height += 26 * len(re.findall(r"<p[\s>]", text))
    for pre in re.findall(r"<pre.*?</pre>", text, flags=re.S):
        height += 20 * (pre.count("\n") + 1)
    for par in re.findall(r'<p class="lines">(.*?)</p>', text, flags=re.S):
        height += 26 * par.count("\n")
    for _w, h in re.findall(r'<svg[^>]*viewBox="0 0 ([\d.]+) ([\d.]+)"', text):
        height += int(float(h)) + 20
    return min(height, MAX_HEIGHT)


def shoot(chromium: str, page: Path, png: Path, height: int, profile: str) -> None:
    cmd = [
        chromium,
        *FLAGS,
        f"--user-data-dir={profile}",
        f"--screenshot={png}",
        f"--window-size={WIDTH},{height}",
        page.resolve().as_uri(),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    if result.returncode != 0 or not png.exists():
        raise RuntimeError(f"chromium failed on {page}: {result.stderr[-800:]}")


def charts_page(text: str) -> str | None:
    """The document's charts alone, with its own style, for a close look."""
    style = re.search(r"<style>.*?</style>", text, flags=re.S)
    figures = re.findall(r'<h3>[^<]*</h3>\s*<figure class="chart">.*?</figure>', text, flags=re.S)
    if not figures:
        return None
    title = re.search(r"<title>(.*?)</title>", text, flags=re.S)
    head = f"<title>{title.group(1) if title else ''}</title>{style.group(0) if style else ''}"
    body = "\n".join(figures)
    doc = f'<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8">{head}</head>'
    return f"{doc}\n<body>{body}</body></html>"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("plans", nargs="?", default="work/plans", type=Path)
    parser.add_argument("out", nargs="?", default="work/screenshots", type=Path)
    args = parser.parse_args(argv)
    pages = sorted(args.plans.glob("*/plan.html")) + sorted(args.plans.glob("*/report.html"))
    if not pages:
        print(f"screenshots: no plan.html or report.html under {args.plans}", file=sys.stderr)
        return 1
    chromium = ensure_chromium()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="jichitai-screens-") as tmp:
        profile = os.path.join(tmp, "profile")
        for page in sorted(pages):
            text = page.read_text(encoding="utf-8")
            stem = f"{page.parent.name}-{page.stem}"
            png = args.out / f"{stem}.png"
            shoot(chromium, page, png, page_height(text), profile)
            print(png)
            charts = charts_page(text)
            if charts:
                alone = Path(tmp) / f"{stem}-charts.html"
                alone.write_text(charts, encoding="utf-8")
                chart_png = args.out / f"{stem}-charts.png"
                shoot(chromium, alone, chart_png, page_height(charts), profile)
                print(chart_png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
