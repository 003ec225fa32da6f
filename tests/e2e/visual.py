"""The visual check: no chart's text overlaps other text or leaves its chart; no sideways scroll.

For every Plotly chart drawn on the page (visible, with a size), the bounding boxes of its
text — titles and subtitles, axis titles, legend items, tick labels, annotations — are read
in the browser; a problem is two of them overlapping, one leaving the chart's box, the mode
bar lying over one, or (on a meeting slide) one set smaller than a room can read. The page
itself must not scroll sideways (and, for a slide, not down either). `check(page)` answers
the number of charts looked at and the problems found.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

# Two boxes overlap when they share more than this many pixels both ways, and a text leaves its
# chart when it passes the edge by more (text boxes carry a little room around the letters).
SLACK = 2
# The smallest chart text a meeting slide may show (strategy_app/charts/style.py MEETING).
MEETING_FONT = 20

CHART_TEXT = """
({slack, minFont}) => {
  const problems = [];
  let charts = 0;
  const kindOf = (node) => {
    if (node.closest(".legend")) return "legend item";
    if (node.closest(".annotation")) return "annotation";
    if (node.closest("[class*='tick']") && !node.closest(".infolayer")) return "tick label";
    const cls = node.getAttribute("class") || "";
    if (/title/.test(cls) || node.closest("[class*='title']")) return "title";
    return null;
  };
  const shown = (node) => {
    for (let n = node; n && n.nodeType === 1; n = n.parentNode) {
      const st = getComputedStyle(n);
      if (st.display === "none" || st.visibility === "hidden" || st.opacity === "0") return false;
    }
    return true;
  };
  const label = (t) => `${t.kind} "${t.text}"`;
  document.querySelectorAll(".js-plotly-plot").forEach((el) => {
    const box = el.getBoundingClientRect();
    if (box.width < 1 || box.height < 1 || !shown(el)) return;
    charts += 1;
    const name = el.id || "chart";
    const texts = [];
    el.querySelectorAll("svg text").forEach((node) => {
      if (node.closest(".hoverlayer")) return;
      const kind = kindOf(node);
      const text = (node.textContent || "").replace(/\\s+/g, " ").trim();
      if (!kind || !text || !shown(node)) return;
      const r = node.getBoundingClientRect();
      if (r.width < 1 || r.height < 1) return;
      const tick = kind === "tick label" ? node.closest("[class*='tick']") : null;
      const axis = tick ? tick.getAttribute("class") : "";
      const size = parseFloat(getComputedStyle(node).fontSize) || 0;
      texts.push({kind, text: text.slice(0, 50), r, axis, size});
    });
    for (const t of texts) {
      if (minFont && t.size < minFont) {
        problems.push(`${name}: ${label(t)} is ${t.size} px, under ${minFont} px`);
      }
      const r = t.r;
      if (r.left < box.left - slack || r.right > box.right + slack ||
          r.top < box.top - slack || r.bottom > box.bottom + slack) {
        problems.push(`${name}: ${label(t)} leaves the chart's box`);
      }
    }
    for (let i = 0; i < texts.length; i += 1) {
      for (let j = i + 1; j < texts.length; j += 1) {
        const a = texts[i], b = texts[j];
        // ticks of one axis: Plotly itself spaces, turns or drops them
        if (a.kind === "tick label" && b.kind === "tick label" && a.axis === b.axis) continue;
        const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
        const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
        if (w > slack && h > slack) {
          problems.push(`${name}: ${label(a)} overlaps ${label(b)}`);
        }
      }
    }
    const bar = el.querySelector(".modebar");
    if (bar && shown(bar.parentNode)) {
      const m = bar.getBoundingClientRect();
      for (const t of texts) {
        const w = Math.min(m.right, t.r.right) - Math.max(m.left, t.r.left);
        const h = Math.min(m.bottom, t.r.bottom) - Math.max(m.top, t.r.top);
        if (m.width > 0 && w > slack && h > slack) {
          problems.push(`${name}: the mode bar covers ${label(t)}`);
        }
      }
    }
  });
  return {charts, problems};
}
"""

PAGE_SCROLL = """
() => ({
  sideways: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  down: document.documentElement.scrollHeight - document.documentElement.clientHeight,
})
"""


# what a slide that scrolls down is made of, top to bottom, to say in the problem what grew
SLIDE_PARTS = """
() => {
  const slide = document.querySelector('.slide.is-current') || document.body;
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (typeof el.className === 'string' && el.className.trim()
       ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const above = [];  // what is drawn above the slide, at every level up to the page
  for (let el = slide; el && el !== document.body; el = el.parentElement) {
    for (let sib = el.previousElementSibling; sib; sib = sib.previousElementSibling) {
      if (sib.getBoundingClientRect().height > 0) above.unshift(sib);
    }
  }
  return [...above, ...slide.children].map(el => ({
    what: name(el), height: Math.round(el.getBoundingClientRect().height),
  }));
}
"""


@dataclass
class Found:
    """What the check saw on a page: charts looked at and the problems, each in words."""

    charts: int = 0
    problems: list[str] = field(default_factory=list)


def wait_for_charts(page, timeout: float = 10) -> None:
    """Until every chart container is drawn (Plotly's responsive resize settled, too), and
    nothing is still being fetched."""
    page.wait_for_load_state("load")
    deadline = time.monotonic() + timeout
    waiting = "() => [...document.querySelectorAll('[data-figure]')]"
    waiting += ".filter(el => !el.classList.contains('chart-drawn')).length"
    # ... and every part still being fetched (a meeting slide: static/js/meeting.js)
    waiting += " + document.querySelectorAll('[aria-busy=\"true\"]').length"
    while page.evaluate(waiting) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    page.wait_for_timeout(150)  # Plotly's resize after a layout change is debounced


def check(page, where: str, *, vertical: bool = False, min_font: float = 0) -> Found:
    """The charts of the page as it is drawn now, and its scrolling; where names it.

    vertical: the page must not scroll down either (a slide); min_font: the smallest type
    (px) a chart's text may have (a slide read from the back of the room: MEETING_FONT).
    """
    seen = page.evaluate(CHART_TEXT, {"slack": SLACK, "minFont": min_font})
    found = Found(seen["charts"], [f"{where}: {p}" for p in seen["problems"]])
    scroll = page.evaluate(PAGE_SCROLL)
    if scroll["sideways"] > 0:
        found.problems.append(f"{where}: the page scrolls sideways by {scroll['sideways']} px")
    if vertical and scroll["down"] > 0:
        parts = ", ".join(f"{p['what']} {p['height']} px" for p in page.evaluate(SLIDE_PARTS))
        found.problems.append(
            f"{where}: the slide scrolls down by {scroll['down']} px (its parts: {parts})"
        )
        shot = tally_dir() / "visual-check" / f"{re.sub(r'[^a-z0-9]+', '-', where.lower())}.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
    return found


def tally_dir() -> Path:
    """Where each test (in any xdist worker) leaves its counts for the session's summary."""
    return Path(os.environ.get("VISUAL_TALLY_DIR", Path(__file__).parents[2] / ".pytest_cache"))


def record(name: str, found: Found, sizes: int) -> None:
    """Leave this test's counts for the summary line printed at the end of the run."""
    folder = tally_dir() / "visual-check"
    folder.mkdir(parents=True, exist_ok=True)
    line = {"charts": found.charts, "problems": len(found.problems), "sizes": sizes}
    (folder / f"{name}.json").write_text(json.dumps(line))


def summary() -> str | None:
    """One line: charts × sizes checked and problems found, from every test's counts."""
    folder = tally_dir() / "visual-check"
    if not folder.is_dir():
        return None
    lines = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]
    if not lines:
        return None
    charts = sum(x["charts"] for x in lines)
    problems = sum(x["problems"] for x in lines)
    return (
        f"visual check: {charts} charts × sizes checked, {problems} problems"
        f" (overlapping or clipped chart text, sideways or slide scrolls, slide text under"
        f" {MEETING_FONT} px) in {len(lines)} page checks"
    )


def clear() -> None:
    """Forget the counts of an earlier run."""
    folder = tally_dir() / "visual-check"
    for p in folder.glob("*.json") if folder.is_dir() else ():
        p.unlink()
