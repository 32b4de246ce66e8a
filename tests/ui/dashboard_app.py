"""The dashboard as a reader sees it: `medallion dashboard` started on a free port, its pages opened in headless
Chromium over DevTools (tests/ui/cdp.py), and what each page shows read back (metrics by label, error elements,
text). Also a command for the screenshots in docs/ and the load times in the issue's note:

    python -m tests.ui.dashboard_app --url http://127.0.0.1:8501 --shots docs/
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from tests.ui.cdp import Page, chromium_page

# (url path, title) of every page, as in medallion_assets/dashboard/app.py
PAGES = [
    ("", "Market"),  # the default page is the app's root
    ("pulse", "Market pulse"),
    ("price-changes", "Price changes and time on market"),
    ("anomalies", "Anomalies"),
    ("price-model", "Price model"),
    ("data-health", "Data health"),
]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1800",
]
# What a page shows once its script has finished: metrics by label, Streamlit's error elements, alerts, the title.
READ = """(() => {
  const text = (el) => (el ? el.innerText.trim() : null);
  const metrics = {};
  for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
    const label = text(m.querySelector('[data-testid="stMetricLabel"]'));
    metrics[label] = text(m.querySelector('[data-testid="stMetricValue"]'));
  }
  return {
    state: document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state'),
    title: text(document.querySelector('h1')),
    metrics,
    exceptions: [...document.querySelectorAll('[data-testid="stException"]')].map(text),
    errors: [...document.querySelectorAll('[data-testid="stAlertContentError"]')].map(text),
    infos: [...document.querySelectorAll('[data-testid="stAlertContentInfo"]')].map(text),
    charts: document.querySelectorAll('[data-testid="stVegaLiteChart"]').length,
    drawn: [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
      .filter((c) => c.offsetParent !== null).every((c) => c.querySelector('canvas, svg')),
    running: !!document.querySelector('[data-testid="stSpinner"], [data-testid="stSkeleton"]'),
  };
})()"""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def wait_healthy(url: str, process: subprocess.Popen | None = None, timeout: float = 120) -> float:
    """Seconds until Streamlit's health endpoint answers."""
    started = time.monotonic()
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as response:
                if response.read().strip() == b"ok":
                    return time.monotonic() - started
        except OSError:
            pass
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the dashboard exited with {process.returncode}")
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{url} did not answer within {timeout:.0f}s")
        time.sleep(0.3)


@contextmanager
def dashboard(env: dict, port: int, log: Path):
    """`medallion dashboard --port PORT` in its own process group; yields its URL once healthy."""
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "medallion_assets.cli", "dashboard", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def open_page(page: Page, url: str, timeout: float = 120) -> tuple[dict, float]:
    """Navigate and wait until the page's script has run to the end; returns what it shows and the seconds taken."""
    started = time.monotonic()
    page.goto(url)
    time.sleep(0.5)  # let the new document replace the old one before polling its state
    deadline = started + timeout
    while True:
        shown = page.evaluate(READ)
        if (
            shown
            and shown.get("state") == "notRunning"
            and shown.get("title")
            and not shown.get("running")
            and shown.get("drawn")
        ):
            return shown, time.monotonic() - started
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} still rendering after {timeout:.0f}s: {shown}")
        time.sleep(0.2)


def number(shown: str) -> float:
    """A metric's value as a number: '1,234' -> 1234, '98.90%' -> 98.9, '0.7181' -> 0.7181."""
    return float(shown.replace(",", "").rstrip("%").split()[0])


def small(png: Path, width: int = 1000) -> None:
    """Shrink a screenshot for docs/: at most `width` pixels wide, 64 colours (a few tens of kB)."""
    from PIL import Image

    with Image.open(png) as image:
        image = image.convert("RGB")
        if image.width > width:
            image = image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
        image.quantize(colors=64).save(png, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8501")
    parser.add_argument("--shots", type=Path, help="save a small PNG of every page here (dashboard-<page>.png)")
    parser.add_argument("--city", help="open the Market page filtered to this city")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile,
        chromium_page(chromium(), FLAGS, Path(profile)) as page,
    ):
        for path, _title in PAGES:
            query = f"?city={urllib.parse.quote(args.city)}" if args.city and not path else ""
            shown, seconds = open_page(page, f"{args.url}/{path}{query}")
            print(
                json.dumps(
                    {"page": path or "market", "seconds": round(seconds, 2), "metrics": shown["metrics"]},
                    ensure_ascii=False,
                )
            )
            if args.shots:
                shot = args.shots / f"dashboard-{path or 'market'}.png"
                page.screenshot(shot)
                small(shot)


if __name__ == "__main__":
    main()
