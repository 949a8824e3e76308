"""`--html FILE`: one self-contained review page for a whole migration.

A summary (files changed / unchanged / left on the legacy path / failed, manual items by
rule, model files and their verified largest difference, the runtime worklist when shim
reports were given), then one collapsible section per file that needs a look: a
side-by-side diff whose hunks carry the rules behind them, manual items shown at their
lines, and each rule linked to its entry in the rule catalogue at the bottom of the page
(the same text as MIGRATION.md's). A rule filter and a search box keep a 1,000-file run
usable. No network resources: styles and script are inline.
"""

from __future__ import annotations

import difflib
import html
import re
from pathlib import Path

from migrate import catalogue
from migrate.hunks import catalogue_entry
from migrate.report import Report, Status
from migrate.rules import all_rules
from migrate.worklist import NOT_EXERCISED, ran

# more files than this that need review: every file starts collapsed
OPEN_AT_MOST = 20
SNIPPET_CONTEXT = 2
_LARGEST = re.compile(r"largest difference ([-+0-9.eE]+|nan|inf)")
_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_LEGACY_PATH = "left on the legacy path"

# one hue per rule, in catalogue order; readable on white as a chip background
_PALETTE = ("#dbeafe", "#dcfce7", "#fef3c7", "#fce7f3", "#e0e7ff", "#ccfbf1", "#fee2e2", "#ede9fe",
            "#ecfccb", "#ffedd5", "#cffafe", "#f5f5f4", "#fae8ff", "#e2e8f0")


def category(result) -> str:
    """What the summary counts a file as: error, skipped, legacy (path), changed or unchanged."""
    if result.status in (Status.ERROR, Status.SKIPPED):
        return result.status
    if any(_LEGACY_PATH in w for w in result.warnings):
        return "legacy"
    return result.status


def largest_difference(entry: dict) -> str | None:
    """The verified largest prediction difference of an upgraded model file, when known."""
    found = _LARGEST.search(entry.get("message", ""))
    return found.group(1) if found else None


def write(report: Report, path: str | Path) -> None:
    """Write the review page of `report` to `path`."""
    Path(path).write_text(render(report), encoding="utf-8")


def render(report: Report) -> str:
    """The review page as one HTML string."""
    rules = {r.NAME: r for r in all_rules()}
    colours = {name: _PALETTE[i % len(_PALETTE)] for i, name in enumerate(rules)}
    files = sorted(report.files, key=lambda f: f.path)
    shown = [f for f in files if f.status != Status.UNCHANGED or f.manual or f.model_files or f.warnings]
    on_page = {id(f) for f in shown}
    quiet = [f for f in files if id(f) not in on_page]
    start_open = len(shown) <= OPEN_AT_MOST
    used_rules = sorted({r for f in shown for r in f.rules} | {m["rule"] for f in shown for m in f.manual},
                        key=lambda n: list(rules).index(n) if n in rules else len(rules))
    parts = [_HEAD.replace("%TITLE%", html.escape(f"migrate review: {report.summary()}"))]
    parts.append('<header><h1>Migration review</h1>'
                 f'<p class="sub">{html.escape(report.summary())}</p></header>')
    parts.append(_summary(report, files, colours))
    parts.append(_toolbar(used_rules, shown, report.worklist is not None))
    parts.append('<main id="files">')
    for index, result in enumerate(shown):
        parts.append(_file_section(index, result, report, colours, start_open))
    if quiet:
        parts.append(f'<details class="quiet" id="unchanged-files"><summary>{len(quiet)} unchanged file'
                     f'{"s" if len(quiet) != 1 else ""} with nothing to review</summary><ul>'
                     + "".join(f"<li>{html.escape(f.path)}</li>" for f in quiet) + "</ul></details>")
    parts.append('<p id="no-match" hidden>No file matches the filter.</p></main>')
    parts.append(_catalogue(rules, colours, used_rules))
    parts.append(f"<script>{_SCRIPT}</script></body></html>\n")
    return "".join(parts)


def _chip(rule: str, colours: dict[str, str]) -> str:
    return (f'<a class="rule" href="#rule-{html.escape(rule)}" style="background:{colours.get(rule, "#eee")}" '
            f'title="{html.escape(catalogue_entry(rule))}">{html.escape(rule)}</a>')


def _summary(report: Report, files: list, colours: dict[str, str]) -> str:
    counts = {c: 0 for c in (Status.CHANGED, Status.UNCHANGED, "legacy", Status.ERROR, Status.SKIPPED)}
    for f in files:
        counts[category(f)] += 1
    labels = ((Status.CHANGED, "changed"), (Status.UNCHANGED, "unchanged"), ("legacy", "left on the legacy path"),
              (Status.ERROR, "failed"), (Status.SKIPPED, "skipped"))
    cards = "".join(f'<div class="card k-{key}" data-count="{key}"><b>{counts[key]}</b><span>{label}</span></div>'
                    for key, label in labels if counts[key] or key != Status.SKIPPED)
    manual_total = sum(len(f.manual) for f in files)
    cards += f'<div class="card k-manual" data-count="manual"><b>{manual_total}</b><span>manual items</span></div>'
    out = ['<section id="summary"><div class="cards">', cards, "</div>", '<div class="tables">']
    by_rule: dict[str, int] = {}
    for f in files:
        for item in f.manual:
            by_rule[item["rule"]] = by_rule.get(item["rule"], 0) + 1
    out.append('<div><h2>Manual items by rule</h2>')
    if by_rule:
        out.append('<table id="manual-by-rule"><tr><th>rule</th><th>items</th></tr>')
        out.extend(f"<tr><td>{_chip(rule, colours)}</td><td>{n}</td></tr>" for rule, n in
                   sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0])))
        out.append("</table>")
    else:
        out.append('<p class="none">None: every change was made for you.</p>')
    out.append("</div>")
    models = [m for m, _ in report.distinct_model_files()]  # a file several sources load is one row
    out.append('<div><h2>Model files</h2>')
    if models:
        out.append('<table id="model-files"><tr><th>file</th><th>state</th><th>largest difference</th></tr>')
        for m in models:
            worst = largest_difference(m)
            out.append(f'<tr><td title="{html.escape(m.get("message", ""))}">{html.escape(m["path"])}</td>'
                       f'<td>{html.escape(m.get("action", ""))}</td><td>{html.escape(worst) if worst else "n/a"}</td></tr>')
        out.append("</table>")
    else:
        out.append('<p class="none">No TF1-era model file found next to the code.</p>')
    out.append("</div>")
    if report.worklist:
        info = report.worklist
        out.append('<div id="runtime-summary"><h2>Runtime worklist</h2><ul>'
                   f"<li>{len(info['reports'])} shim report(s), {info['call_sites']} call sites</li>"
                   f"<li>{len(info['files'])} migrated file(s) seen running</li>"
                   f"<li>{info['hunks_exercised']} hunks exercised</li>"
                   f'<li class="cold">{info["hunks_not_exercised"]} hunks {NOT_EXERCISED}</li></ul></div>')
    out.append("</div></section>")
    return "".join(out)


def _toolbar(rules: list[str], shown: list, runtime: bool) -> str:
    options = ['<option value="">all rules</option>']
    for rule in rules:
        n = sum(1 for f in shown if rule in f.rules or any(m["rule"] == rule for m in f.manual))
        options.append(f'<option value="{html.escape(rule)}">{html.escape(rule)} ({n})</option>')
    options.append('<option value=":manual">files with manual items</option>')
    options.append('<option value=":failed">failed or skipped files</option>')
    if runtime:
        options.append(f'<option value=":cold">rewrites {NOT_EXERCISED}</option>')
    return ('<nav id="toolbar"><input id="search" type="search" placeholder="Search paths, code, messages…" '
            'aria-label="search">'
            f'<select id="rule-filter" aria-label="filter by rule">{"".join(options)}</select>'
            '<button id="expand-all" type="button">Expand all</button>'
            '<button id="collapse-all" type="button">Collapse all</button>'
            f'<span id="shown-count">{len(shown)} of {len(shown)} files</span></nav>')


def _file_section(index: int, result, report: Report, colours: dict[str, str], start_open: bool) -> str:
    kind = category(result)
    hunks = _parse_hunks(result.diff) if result.diff else []
    # notebooks bring their own per-cell diff, without per-hunk rules
    metas = result.hunks if len(result.hunks) == len(hunks) else hunks
    added = sum(1 for h in hunks for row in h["rows"] if row[2] is not None and row[3] == "add")
    removed = sum(1 for h in hunks for row in h["rows"] if row[0] is not None and row[1] == "del")
    rules = sorted(set(result.rules) | {m["rule"] for m in result.manual})
    flags = []
    if result.manual:
        flags.append(":manual")
    if kind in (Status.ERROR, Status.SKIPPED):
        flags.append(":failed")
    if any(h.get("exercised") is False for h in result.hunks):
        flags.append(":cold")
    label = {"legacy": "legacy path", Status.ERROR: "failed"}.get(kind, kind)
    out = [f'<details class="file" id="file-{index}" data-path="{html.escape(result.path)}" '
           f'data-rules="{html.escape(" ".join(rules + flags))}"{" open" if start_open else ""}>',
           f'<summary><span class="status k-{kind}">{label}</span><span class="path">{html.escape(result.path)}</span>',
           f'<span class="chips">{"".join(_chip(r, colours) for r in result.rules)}</span>']
    if hunks:
        out.append(f'<span class="stat"><span class="plus">+{added}</span> <span class="minus">−{removed}</span></span>')
    if result.manual:
        out.append(f'<span class="manual-count">{len(result.manual)} manual</span>')
    # a collapsed file's body is parsed, not built, until it is opened: a 1,000-file page loads fast
    out.append('</summary><div class="body">' if start_open else '</summary><div class="body"></div><template class="lazy">')
    if result.message:
        out.append(f'<p class="msg k-{kind}">{html.escape(result.message)}</p>')
    for warning in result.warnings:
        out.append(f'<p class="note">note: {html.escape(warning)}</p>')
    for model in result.model_files:
        out.append(f'<p class="note">model file {html.escape(model["path"])}: {html.escape(model.get("message", ""))}</p>')
    placed: set[int] = set()
    for meta, hunk in zip(metas, hunks):
        out.append(_hunk_table(meta, hunk, result.manual, placed, colours))
    elsewhere = [m for i, m in enumerate(result.manual) if i not in placed]
    if elsewhere:
        out.append(_snippets(result, elsewhere, colours))
    out.append("</div></details>" if start_open else "</template></details>")
    return "".join(out)


def _parse_hunks(diff: str) -> list[dict]:
    """Rows of each hunk: (old line no, kind, new line no, kind, old text, new text)."""
    hunks: list[dict] = []
    old = new = 0
    dels: list[tuple[int, str]] = []
    adds: list[tuple[int, str]] = []

    def flush() -> None:
        for i in range(max(len(dels), len(adds))):
            d = dels[i] if i < len(dels) else None
            a = adds[i] if i < len(adds) else None
            hunks[-1]["rows"].append((d[0] if d else None, "del", a[0] if a else None, "add",
                                      d[1] if d else None, a[1] if a else None))
        dels.clear()
        adds.clear()

    for line in diff.splitlines():
        if line.startswith(("--- ", "+++ ")) and not hunks or line.startswith("\\"):
            continue
        header = _HEADER.match(line)
        if header:
            if hunks:
                flush()
            old, new = int(header.group(1)), int(header.group(3))
            hunks.append({"rows": [], "old_start": old, "old_lines": int(header.group(2) or 1),
                          "new_start": new, "new_lines": int(header.group(4) or 1), "rules": []})
            continue
        if not hunks:
            continue
        tag, text = line[:1], line[1:]
        if tag == "-":
            dels.append((old, text))
            old += 1
        elif tag == "+":
            adds.append((new, text))
            new += 1
        else:
            flush()
            hunks[-1]["rows"].append((old, "ctx", new, "ctx", text, text))
            old += 1
            new += 1
    if hunks:
        flush()
    return hunks


def _highlight(old: str, new: str) -> tuple[str, str]:
    """Both lines escaped, the part that differs wrapped in <em> (common prefix/suffix kept plain)."""
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    if (start + end) * 3 < max(len(old.strip()), len(new.strip())):  # two different lines, not one edited
        return html.escape(old), html.escape(new)

    def mark(text: str) -> str:
        middle = text[start:len(text) - end]
        return html.escape(text[:start]) + (f"<em>{html.escape(middle)}</em>" if middle else "") + \
            html.escape(text[len(text) - end:])

    return mark(old), mark(new)


def _runtime(entry: dict) -> str:
    """The worklist badge of a hunk or manual item ('' without --worklist)."""
    if "runs" not in entry:
        return ""
    return f'<span class="{"ran" if entry["exercised"] else "cold"}">{html.escape(ran(entry))}</span>'


def _manual_row(item: dict, colours: dict[str, str]) -> str:
    return (f'<tr class="manual"><td colspan="4"><div class="manual-item"><span class="warn">manual</span>'
            f'{_chip(item["rule"], colours)}<span class="where">line {item["line"]}</span>{_runtime(item)}'
            f'<span class="text">{html.escape(item["message"])}</span></div></td></tr>')


def _hunk_table(meta: dict, hunk: dict, manual: list[dict], placed: set[int], colours: dict[str, str]) -> str:
    # an item's line is a line of the new text: it sits under that line's row, on the new side
    first, count = meta["new_start"], meta["new_lines"]
    runtime = _runtime(meta)
    header = (f"@@ -{meta['old_start']},{meta['old_lines']} +{first},{count} @@")
    out = [f'<div class="hunk" data-rules="{html.escape(" ".join(meta["rules"]))}'
           f'{" :cold" if meta.get("exercised") is False else ""}">'
           f'<div class="hunk-head"><code>{html.escape(header)}</code>'
           f'{"".join(_chip(r, colours) for r in meta["rules"])}{runtime}</div>'
           '<table class="sbs"><colgroup><col class="n"><col class="c"><col class="n"><col class="c"></colgroup>']
    at_line: dict[int, list[int]] = {}
    for i, item in enumerate(manual):
        if i not in placed and first <= item["line"] < first + max(count, 1):
            at_line.setdefault(item["line"], []).append(i)
    for old_no, _, new_no, _, old_text, new_text in hunk["rows"]:
        if old_text is not None and new_text is not None and old_text != new_text:
            left, right = _highlight(old_text, new_text)
        else:
            left = html.escape(old_text) if old_text is not None else ""
            right = html.escape(new_text) if new_text is not None else ""
        same = old_text == new_text
        lcls = "ctx" if same else ("del" if old_text is not None else "nil")
        rcls = "ctx" if same else ("add" if new_text is not None else "nil")
        out.append(f'<tr><td class="n">{old_no if old_text is not None else ""}</td><td class="c {lcls}">{left}</td>'
                   f'<td class="n">{new_no if new_text is not None else ""}</td><td class="c {rcls}">{right}</td></tr>')
        if new_text is not None and new_no in at_line:
            for i in at_line.pop(new_no):
                placed.add(i)
                out.append(_manual_row(manual[i], colours))
    out.append("</table></div>")
    return "".join(out)


def _snippets(result, items: list[dict], colours: dict[str, str]) -> str:
    """Manual items outside every hunk, each shown in a few lines of the new code (the same as
    the old code there: no hunk holds them)."""
    lines = _new_lines(result)
    out = ['<div class="hunk snippets" data-rules="">']
    for item in sorted(items, key=lambda m: m["line"]):
        low, high = max(1, item["line"] - SNIPPET_CONTEXT), item["line"] + SNIPPET_CONTEXT
        out.append(f'<div class="hunk-head"><code>line {item["line"]} (unchanged code)</code></div>'
                   '<table class="sbs one"><colgroup><col class="n"><col class="c"></colgroup>')
        for number in range(low, min(high, len(lines)) + 1):
            mark = " hit" if number == item["line"] else ""
            out.append(f'<tr><td class="n">{number}</td><td class="c ctx{mark}">{html.escape(lines[number - 1])}</td></tr>')
            if number == item["line"]:
                out.append(_manual_row(item, colours).replace('colspan="4"', 'colspan="2"'))
        if not lines:
            out.append(_manual_row(item, colours).replace('colspan="4"', 'colspan="2"'))
        out.append("</table>")
    out.append("</div>")
    return "".join(out)


def _new_lines(result) -> list[str]:
    """The file as migrate proposes it (its items' lines): from disk, the diff applied when
    the run did not write it."""
    try:
        text = Path(result.path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    lines = text.splitlines()
    if not result.written and result.diff:
        lines = _apply(lines, _parse_hunks(result.diff))
    return lines


def _apply(old_lines: list[str], hunks: list[dict]) -> list[str]:
    new: list[str] = []
    position = 1  # next old line to copy
    for hunk in hunks:
        first_old = next((r[0] for r in hunk["rows"] if r[0] is not None), position)
        new.extend(old_lines[position - 1:first_old - 1])
        new.extend(r[5] for r in hunk["rows"] if r[5] is not None)
        position = first_old + sum(1 for r in hunk["rows"] if r[4] is not None)
    new.extend(old_lines[position - 1:])
    return new


def _catalogue(rules: dict, colours: dict[str, str], used: list[str]) -> str:
    """Every rule the run used (then the others): description and first example, as in MIGRATION.md."""
    uri = catalogue.MIGRATION_MD.as_uri()
    order = used + [name for name in rules if name not in used]
    out = ['<section id="catalogue"><h2>Rule catalogue</h2><p class="sub">The entries of '
           f'<a href="{html.escape(uri)}">MIGRATION.md</a>\'s rule catalogue for the rules on this page.</p>']
    for name in order:
        rule = rules.get(name)
        if rule is None:
            continue
        used_here = " used" if name in used else ""
        out.append(f'<article class="entry{used_here}" id="rule-{html.escape(name)}">'
                   f'<h3><span class="rule" style="background:{colours[name]}">{html.escape(name)}</span>'
                   f' <span class="safety">{"safe" if rule.SAFE else "unsafe (opt-in)"}</span>'
                   f' <a class="doc" href="{html.escape(uri)}#{html.escape(name)}">{html.escape(catalogue_entry(name))}</a></h3>'
                   f"<p>{html.escape(rule.DESCRIPTION)}</p>")
        if rule.FIXES:
            example = rule.FIXES[0]
            diff = list(difflib.unified_diff(example.before.splitlines(), example.expected.splitlines(), lineterm="", n=3))[2:]
            body = "".join(f'<span class="{ {"+": "add", "-": "del"}.get(line[:1], "ctx") }">{html.escape(line)}</span>\n'
                           for line in diff if not line.startswith("@@"))
            out.append(f'<p class="example">{html.escape(example.id)}</p><pre class="example-diff">{body}</pre>')
        out.append("</article>")
    out.append("</section>")
    return "".join(out)


_HEAD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>%TITLE%</title>
<style>
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--add:#e6ffec;--addx:#abf2bc;--del:#ffebe9;--delx:#ffb3ad;
--warn:#9a6700;--warnbg:#fff8c5;--cold:#cf222e}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:#f6f8fa}
header,#summary,#toolbar,main,#catalogue{max-width:1400px;margin:0 auto;padding:0 20px}
header h1{font-size:22px;margin:18px 0 2px}
.sub{color:var(--muted);margin:0 0 12px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0 14px}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:120px}
.card b{display:block;font-size:22px}
.card span{color:var(--muted)}
.card.k-changed b{color:#1a7f37}.card.k-legacy b{color:var(--warn)}.card.k-error b{color:var(--cold)}.card.k-manual b{color:var(--warn)}
.tables{display:flex;flex-wrap:wrap;gap:24px;margin-bottom:10px}
.tables>div{background:#fff;border:1px solid var(--line);border-radius:8px;padding:6px 14px 10px;min-width:280px}
.tables h2{font-size:15px;margin:6px 0}
.tables table{border-collapse:collapse}
.tables td,.tables th{padding:2px 10px 2px 0;text-align:left;vertical-align:top}
.none{color:var(--muted);margin:4px 0}
#toolbar{position:sticky;top:0;z-index:2;background:#f6f8fa;display:flex;gap:8px;align-items:center;padding-top:8px;padding-bottom:8px;border-bottom:1px solid var(--line)}
#search{flex:1;min-width:200px;padding:6px 10px;border:1px solid var(--line);border-radius:6px;font:inherit}
#toolbar select,#toolbar button{padding:5px 8px;border:1px solid var(--line);border-radius:6px;background:#fff;font:inherit}
#shown-count{color:var(--muted);white-space:nowrap}
main{padding-top:10px;padding-bottom:10px}
details.file{background:#fff;border:1px solid var(--line);border-radius:8px;margin:0 0 10px;
content-visibility:auto;contain-intrinsic-size:auto 42px}
details.file>summary{cursor:pointer;padding:8px 12px;display:flex;flex-wrap:wrap;gap:6px;align-items:center;list-style-position:inside}
details.file[open]>summary{border-bottom:1px solid var(--line)}
.path{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-weight:600;margin-right:6px}
.status{font-size:12px;padding:1px 7px;border-radius:10px;background:#eef1f4}
.status.k-changed{background:#dafbe1;color:#116329}.status.k-legacy{background:var(--warnbg);color:var(--warn)}
.status.k-error,.status.k-skipped{background:#ffebe9;color:var(--cold)}
.rule{display:inline-block;font-size:12px;padding:0 7px;border-radius:10px;color:#1f2328;text-decoration:none;border:1px solid rgba(0,0,0,.08);margin-right:3px}
a.rule:hover{text-decoration:underline}
.stat{margin-left:auto;font-family:ui-monospace,monospace;font-size:12px}.plus{color:#1a7f37}.minus{color:var(--cold)}
.manual-count{font-size:12px;color:var(--warn);background:var(--warnbg);padding:0 7px;border-radius:10px}
.body{padding:6px 12px 10px}
.msg,.note{margin:4px 0;color:var(--muted)}.msg.k-error{color:var(--cold)}
.hunk{border:1px solid var(--line);border-radius:6px;margin:8px 0;overflow:hidden}
.hunk.dim{opacity:.35}
.hunk-head{background:#ddf4ff;padding:3px 8px;display:flex;flex-wrap:wrap;gap:6px;align-items:center}
.hunk-head code{color:var(--muted);font-size:12px;margin-right:4px}
.snippets .hunk-head{background:#f6f8fa}
.ran{font-size:12px;color:#116329}.cold{font-size:12px;color:var(--cold);font-weight:600}
table.sbs{width:100%;border-collapse:collapse;table-layout:fixed;font:12px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace}
table.sbs col.n{width:44px}
table.sbs td{padding:0 6px;vertical-align:top}
td.n{color:#8c959f;text-align:right;user-select:none;border-right:1px solid var(--line)}
td.c{white-space:pre-wrap;word-break:break-word;tab-size:4}
td.del{background:var(--del)}td.add{background:var(--add)}td.nil{background:#f6f8fa}
td.del em{background:var(--delx);font-style:normal}td.add em{background:var(--addx);font-style:normal}
td.hit{background:var(--warnbg)}
tr.manual td{padding:3px 8px;background:var(--warnbg);border-top:1px solid #eed888;border-bottom:1px solid #eed888}
.manual-item{font:13px/1.4 system-ui,sans-serif;display:flex;flex-wrap:wrap;gap:6px;align-items:baseline}
.warn{font-weight:700;color:var(--warn);text-transform:uppercase;font-size:11px}
.where{color:var(--muted);font-size:12px}
details.quiet{margin:10px 0;color:var(--muted)}
details.quiet ul{columns:3;font-family:ui-monospace,monospace;font-size:12px}
#catalogue{padding-bottom:40px}
#catalogue h2{font-size:18px;margin:18px 0 4px}
.entry{background:#fff;border:1px solid var(--line);border-radius:8px;padding:4px 14px 8px;margin:8px 0}
.entry:not(.used){opacity:.7}
.entry:target{outline:2px solid #0969da}
.entry h3{font-size:15px;margin:6px 0}.safety{font-weight:400;color:var(--muted);font-size:12px}
.doc{font-weight:400;font-size:12px;margin-left:6px}
.example{color:var(--muted);margin:2px 0}
pre.example-diff{background:#f6f8fa;border-radius:6px;padding:6px 8px;margin:2px 0;font-size:12px;white-space:pre-wrap}
pre.example-diff .add{background:var(--add);display:inline-block;width:100%}pre.example-diff .del{background:var(--del);display:inline-block;width:100%}
</style></head><body>
"""

_SCRIPT = r"""
(function(){
  var files=[].slice.call(document.querySelectorAll('details.file'));
  var search=document.getElementById('search'), rule=document.getElementById('rule-filter');
  var count=document.getElementById('shown-count'), none=document.getElementById('no-match');
  function lazy(el){ return el.querySelector(':scope > template.lazy'); }
  function text(el){
    if(el._text===undefined){ var t=lazy(el); el._text=(el.textContent+' '+(t?t.content.textContent:'')).toLowerCase(); }
    return el._text;
  }
  function dim(el){
    var r=rule.value;
    el.querySelectorAll('.hunk').forEach(function(h){
      var hr=h.getAttribute('data-rules').split(' ');
      h.classList.toggle('dim', r.charAt(0)===':' ? (r===':cold' && hr.indexOf(':cold')<0) : (!!r && hr.indexOf(r)<0));
    });
  }
  function build(el){
    var t=lazy(el);
    if(t){ el.querySelector(':scope > .body').appendChild(t.content); t.remove(); dim(el); }
  }
  function apply(){
    var q=search.value.trim().toLowerCase(), r=rule.value, shown=0;
    files.forEach(function(el){
      var ok=(!r||el.getAttribute('data-rules').split(' ').indexOf(r)>=0)&&(!q||text(el).indexOf(q)>=0);
      el.hidden=!ok;
      if(ok){ shown++; dim(el); if((q||r)&&shown<=20){ el.open=true; } }
    });
    count.textContent=shown+' of '+files.length+' files';
    none.hidden=shown>0;
  }
  document.addEventListener('toggle',function(e){ if(e.target.open&&e.target.classList.contains('file')){ build(e.target); } },true);
  var timer=null;
  search.addEventListener('input',function(){ clearTimeout(timer); timer=setTimeout(apply,120); });
  rule.addEventListener('change',apply);
  document.getElementById('expand-all').addEventListener('click',function(){ files.forEach(function(el){ if(!el.hidden){el.open=true;} }); });
  document.getElementById('collapse-all').addEventListener('click',function(){ files.forEach(function(el){ el.open=false; }); });
  if(location.hash.indexOf('#file-')===0){ var f=document.querySelector(location.hash); if(f){f.open=true;} }
})();
"""
