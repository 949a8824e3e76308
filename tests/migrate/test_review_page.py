"""`--html`: the review page, opened in a real headless Chromium driven by Selenium.

CI installs Debian's `chromium` and `chromium-driver`; there (CI=true) a missing browser
fails the test. Elsewhere it skips, saying what to install.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from migrate import review_page
from migrate.report import FileResult, Report

REPO = Path(__file__).resolve().parents[2]
APPS = REPO / "fixtures" / "apps"
BROWSER_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1400,1000")


def _missing(what: str) -> None:
    message = f"{what} not installed (apt-get install -y chromium chromium-driver; pip install selenium)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """A headless Chromium with a fresh profile, no network services."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        _missing("chromium / chromedriver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in BROWSER_FLAGS + (f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _env() -> dict:
    env = dict(os.environ, NO_COLOR="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


@pytest.fixture(scope="module")
def fixture_page(tmp_path_factory):
    """`python -m migrate fixtures/apps/ --html` as a user runs it, with its JSON report and diff."""
    out = tmp_path_factory.mktemp("review")
    run = subprocess.run([sys.executable, "-m", "migrate", "fixtures/apps/", "-j", "1", "--html", str(out / "review.html"),
                          "--report", str(out / "report.json")], cwd=REPO, capture_output=True, text=True, env=_env())
    assert run.returncode == 0, run.stderr
    return out / "review.html", json.loads((out / "report.json").read_text()), run.stdout


def _visible_paths(driver) -> set[str]:
    return set(driver.execute_script(
        "return [].slice.call(document.querySelectorAll('details.file')).filter(e => !e.hidden)"
        ".map(e => e.dataset.path)"))


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


@pytest.mark.slow(reason="drives the review page in headless Chromium through chromedriver")
def test_page_structure_inline_manual_items_filter_and_search(browser, fixture_page, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    page, report, stdout = fixture_page
    html = page.read_text()
    # self-contained: nothing fetched from anywhere
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html and "<script src" not in html
    browser.get(page.as_uri())
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0

    files = report["files"]
    cards = {e.get_attribute("data-count"): int(e.find_element(By.TAG_NAME, "b").text)
             for e in browser.find_elements(By.CSS_SELECTOR, ".card")}
    legacy = [f for f in files if any("left on the legacy path" in w for w in f["warnings"])]
    assert legacy, "the fixtures include a file left on the legacy path"
    assert cards["legacy"] == len(legacy)
    assert cards["changed"] == sum(f["status"] == "changed" and f not in legacy for f in files)
    assert cards["unchanged"] == sum(f["status"] == "unchanged" and f not in legacy for f in files)
    assert cards["error"] == 0 and cards["manual"] == sum(len(f["manual"]) for f in files)

    # one section per file to review, with exactly the JSON report's hunks and their rules
    # (past 20 files the page starts collapsed and builds a file when it opens)
    browser.find_element(By.ID, "expand-all").click()
    sections = {e.get_attribute("data-path"): e for e in browser.find_elements(By.CSS_SELECTOR, "details.file")}
    assert set(sections) == {f["path"] for f in files if f["status"] != "unchanged" or f["manual"] or f["warnings"]}
    for f in files:
        if f["status"] != "changed":
            continue
        heads = sections[f["path"]].find_elements(By.CSS_SELECTOR, ".hunk:not(.snippets) .hunk-head")
        assert [[a.text for a in h.find_elements(By.CSS_SELECTOR, "a.rule")] for h in heads] == \
            [h["rules"] for h in f["hunks"]], f["path"]
        for link in sections[f["path"]].find_elements(By.CSS_SELECTOR, ".hunk-head a.rule"):
            target = link.get_attribute("href").split("#", 1)[1]
            assert browser.find_elements(By.ID, target), target  # the catalogue entry is on the page
    # the side-by-side rows hold both sides of the diff: every removed and added line is there
    first = next(f for f in files if f["status"] == "changed")
    removed = [line[1:] for line in stdout.split(f"--- a/{first['path']}\n")[1].split("\n--- a/")[0].splitlines()
               if line.startswith("-") and not line.startswith("---")]
    cells = [c.get_attribute("textContent") for c in sections[first["path"]].find_elements(By.CSS_SELECTOR, "td.del")]
    assert cells == removed

    # manual items sit right under the line they are about, on the new side (their lines are the new text's)
    items = [(f["path"], m) for f in files for m in f["manual"]]
    rows = browser.find_elements(By.CSS_SELECTOR, "tr.manual")
    assert len(rows) == len(items)
    # (items inside a hunk come with it, items outside every hunk after the hunks, in a snippet
    # of the unchanged code: each row is matched to its own item, one for one)
    pool = []
    for row in rows:
        above = row.find_element(By.XPATH, "preceding-sibling::tr[1]")
        path = row.find_element(By.XPATH, "ancestor::details[contains(@class, 'file')]").get_attribute("data-path")
        pool.append((path, above.find_elements(By.CSS_SELECTOR, "td.n")[-1].text, row.text))
    for path, item in items:
        match = next((seen for seen in pool if seen[:2] == (path, str(item["line"]))
                      and item["message"] in seen[2] and item["rule"] in seen[2]), None)
        assert match is not None, (path, item, [seen for seen in pool if seen[0] == path])
        pool.remove(match)

    # the rule filter: only files one rule touched; hunks of other rules dimmed
    select = Select(browser.find_element(By.ID, "rule-filter"))
    select.select_by_value("threaded-false")
    expected = {f["path"] for f in files if "threaded-false" in f["rules"]}
    assert _visible_paths(browser) == expected and len(expected) == 1
    assert browser.find_element(By.ID, "shown-count").text == f"1 of {len(sections)} files"
    dimmed = browser.find_elements(By.CSS_SELECTOR, ".hunk.dim")
    assert all("threaded-false" not in d.get_attribute("data-rules") for d in dimmed)
    select.select_by_value(":manual")
    assert _visible_paths(browser) == {f["path"] for f in files if f["manual"]}
    select.select_by_value("")

    # the search box: files whose code, path or messages hold the text
    search = browser.find_element(By.ID, "search")
    search.send_keys("set_learning_phase")
    per_file = {block.split("\n", 1)[0]: block for block in stdout.split("--- a/")[1:]}
    expected = {p for p, block in per_file.items() if "set_learning_phase" in block}
    browser.implicitly_wait(0)
    _wait(lambda: _visible_paths(browser) == expected, browser)
    assert expected and len(expected) < len(sections)
    search.clear()
    search.send_keys("no file has this text")
    _wait(lambda: not _visible_paths(browser), browser)
    assert browser.find_element(By.ID, "no-match").is_displayed()
    search.clear()
    search.send_keys(" ")
    _wait(lambda: len(_visible_paths(browser)) == len(sections), browser)

    shot = tmp_path / "review.png"
    browser.execute_script("window.scrollTo(0, 0)")
    assert browser.save_screenshot(str(shot))
    width, height = _png_size(shot)
    assert width >= 1000 and height >= 600
    print(f"screenshot: {shot}")


def _wait(condition, driver, timeout: float = 5.0) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(lambda _: condition())


@pytest.mark.slow(reason="drives the review page in headless Chromium through chromedriver")
def test_a_large_run_starts_collapsed_and_expand_all_opens_the_shown_files(browser, tmp_path):
    from selenium.webdriver.common.by import By

    from benchmarks import trees

    root = trees.legacy_tree(tmp_path / "tree", review_page.OPEN_AT_MOST + 5)
    page = tmp_path / "review.html"
    run = subprocess.run([sys.executable, "-m", "migrate", str(root), "-j", "1", "--html", str(page)],
                         capture_output=True, text=True, env=_env())
    assert run.returncode == 0, run.stderr
    per_file = {block.split("\n", 1)[0]: block for block in run.stdout.split("--- a/")[1:]}
    browser.get(page.as_uri())
    sections = browser.find_elements(By.CSS_SELECTOR, "details.file")
    assert len(sections) >= len(per_file) > review_page.OPEN_AT_MOST  # and files with manual items only
    assert not any(s.get_attribute("open") for s in sections)
    # collapsed bodies are not built yet; the search still reads their code
    assert not browser.find_elements(By.CSS_SELECTOR, "details.file td.add")
    browser.find_element(By.ID, "search").send_keys("set_learning_phase")
    expected = {p.lstrip("/") for p, block in per_file.items() if "set_learning_phase" in block}
    assert 0 < len(expected) < len(sections)
    _wait(lambda: {p.lstrip("/") for p in _visible_paths(browser)} == expected, browser)
    browser.find_element(By.ID, "collapse-all").click()
    browser.find_element(By.ID, "expand-all").click()
    _wait(lambda: {s.get_attribute("data-path") for s in sections if s.get_attribute("open")} == _visible_paths(browser),
          browser)
    for section in sections:
        built = section.find_elements(By.CSS_SELECTOR, "td.add, td.del")
        assert bool(built) == (section.get_attribute("data-path") in _visible_paths(browser))


def test_upgraded_model_files_show_their_verified_largest_difference(tmp_path):
    from fixtures.catalog import all_apps, prepare

    app = next(a for a in all_apps() if a.name == "global_graph")
    app_dir = prepare(app, tmp_path / app.name)
    page = tmp_path / "review.html"
    run = subprocess.run([sys.executable, "-m", "migrate", str(app_dir), "-j", "1", "--write", "--html", str(page),
                          "--report", str(tmp_path / "report.json")], capture_output=True, text=True, env=_env())
    assert run.returncode == 0, run.stderr
    models = [m for f in json.loads((tmp_path / "report.json").read_text())["files"] for m in f["model_files"]]
    assert [m["action"] for m in models] == ["upgraded"], models
    worst = review_page.largest_difference(models[0])
    assert worst is not None and float(worst) <= 1e-4
    row = re.search(r'<table id="model-files">.*?</table>', page.read_text(), re.S).group(0)
    assert "mlp_softmax.h5" in row and "upgraded" in row and f"<td>{worst}</td>" in row


@pytest.mark.parametrize("written", [True, False], ids=["written", "not written"])
def test_snippets_show_the_file_as_migrated_whether_written_or_not(tmp_path, written):
    from migrate.hunks import explained_diff

    old = "".join(f"line {i}\n" for i in range(1, 30))
    new = old.replace("line 3\n", "line 3a\nline 3b\n").replace("line 20\n", "").replace("line 29\n", "last\n")
    (tmp_path / "f.py").write_text(new if written else old)
    diff, hunks = explained_diff(old, new, "f.py", [("r", new)])
    assert len(hunks) == 3
    result = FileResult(path=str(tmp_path / "f.py"), status="changed", diff=diff, hunks=[h.as_dict() for h in hunks],
                        rules=["r"], written=written)
    # manual items refer to lines of the migrated file: a dry run's snippets apply the diff
    assert review_page._new_lines(result) == new.splitlines()
