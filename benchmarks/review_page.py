"""Issue 11, the review page: size and load time of `python -m migrate --html` on a 1,000-file run.

The tree is benchmarks/trees.py's 1,000 legacy serving files (every one changed, so every
one is on the page). Measured: the page's size, what `--html` adds to the run's wall time,
and in a real headless Chromium (Selenium, fresh profile, no network): time to
DOMContentLoaded and to the load event (median of 3 loads), the first search (it reads
every file's text once), a rule-filter change, and "Expand all" with its layout.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import trees
from migrate import review_page, runner
from benchmarks.report import Section, check, fmt

REPO_ROOT = Path(__file__).resolve().parent.parent
LOADS = 3
BROWSER_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,1000")


def _env() -> dict:
    env = dict(os.environ, NO_COLOR="1", TF_CPP_MIN_LOG_LEVEL="2")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


def _migrate(tree: Path, *extra: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "migrate", str(tree), "-j", "2", "-q", *extra], env=_env(),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def _render_seconds(tree: Path) -> float:
    """What --html adds to a run: rendering and writing the page, in-process (median of 3)."""
    report = runner.run([str(tree)], runner.RunConfig(), jobs=2)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        review_page.write(report, tree.parent / "render-check.html")
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _browser(profile: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser") or "chromium"
    for flag in BROWSER_FLAGS + (f"--user-data-dir={profile}",):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or "chromedriver"), options=options)


_TIMINGS = "var n = performance.getEntriesByType('navigation')[0]; return [n.domContentLoadedEventEnd, n.loadEventEnd];"
_FILTER = """
var s = document.getElementById('search'), r = document.getElementById('rule-filter');
var t0 = performance.now(); s.value = arguments[0]; r.dispatchEvent(new Event('change')); document.body.offsetHeight;
var t1 = performance.now(); s.value = ''; r.value = arguments[1]; r.dispatchEvent(new Event('change')); document.body.offsetHeight;
var t2 = performance.now(); r.value = ''; r.dispatchEvent(new Event('change'));
return [t1 - t0, t2 - t1, document.querySelectorAll('details.file').length];
"""
# bodies are built on the toggle events that follow the click: done when no lazy template is left
_EXPAND = """
var done = arguments[arguments.length - 1], t0 = performance.now();
document.getElementById('expand-all').click();
(function poll() {
  if (document.querySelector('details.file > template.lazy')) { return setTimeout(poll, 5); }
  document.body.offsetHeight; done(performance.now() - t0);
})();
"""


def run(workdir: Path, quick: bool = False) -> Section:
    """Build the tree, write the page, load it LOADS times in Chromium; one table row per size."""
    workdir.mkdir(parents=True, exist_ok=True)
    sizes = [100] if quick else [100, 1000]
    rows = []
    goals = []
    for n in sizes:
        tree = trees.legacy_tree(workdir / f"tree{n}", n)
        page = workdir / f"review{n}.html"
        run_s = _migrate(tree, "--html", str(page))
        render_s = _render_seconds(tree)
        dom, load = [], []
        driver = _browser(Path(tempfile.mkdtemp(dir=workdir, prefix="profile-")))
        try:
            for _ in range(LOADS):
                driver.get("about:blank")
                driver.get(page.as_uri())
                d, lo = driver.execute_script(_TIMINGS)
                dom.append(d)
                load.append(lo)
            search_ms, filter_ms, files = driver.execute_script(_FILTER, "set_learning_phase", "predict-classes")
            driver.set_script_timeout(120)
            expand_ms = driver.execute_async_script(_EXPAND)
        finally:
            driver.quit()
        size_mb = page.stat().st_size / 1e6
        rows.append([fmt(n), fmt(files), f"{size_mb:.1f}", f"{run_s:.1f}", f"{render_s:.2f}",
                     fmt(statistics.median(dom)), fmt(statistics.median(load)),
                     fmt(search_ms), fmt(filter_ms), fmt(expand_ms)])
        if n == max(sizes):
            goals.append(check(f"review page load, {n} files (ms)", statistics.median(load), "<=", 2000,
                               "a reviewer opens it and can start"))
    return Section(
        "Review page (`--html`) on generated legacy trees",
        ["files", "on page", "size MB", "run with --html s", "page render s", "DOMContentLoaded ms", "load ms",
         "first search ms", "rule filter ms", "expand all ms"],
        rows,
        caption=[f"Headless Chromium (Debian), median of {LOADS} loads; files start collapsed above "
                 "20 files (a collapsed file's diff is built when opened). First search reads every file's text once "
                 "(cached after); expand all builds every shown file's side-by-side diff and lays it out."],
        goals=goals,
    )


if __name__ == "__main__":
    from benchmarks.report import as_text

    root = Path(tempfile.mkdtemp(prefix="review-bench-"))
    try:
        print(as_text(run(root, quick="--quick" in sys.argv)))
    finally:
        shutil.rmtree(root, ignore_errors=True)
