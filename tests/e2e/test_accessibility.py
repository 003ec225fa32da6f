"""DESIGN §8: no page has an accessibility violation that axe-core finds (WCAG 2.2 AA rules).

axe-core runs inside Chromium on each page as the demo users see it (axe-playwright-python
ships axe-core's script); every violation is reported with its rule and the elements.
"""

from __future__ import annotations

import re
import time

import pytest
from axe_playwright_python.sync_playwright import Axe

# The WCAG 2.0, 2.1 and 2.2 rules at levels A and AA (axe-core's tags).
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE = Axe()

# (who signs in, path); "{objective}" and the like are the first such link on a page.
PAGES = [
    (None, "/login"),
    (None, "/no-such-page"),
    ("ceo@demo.test", "/"),
    ("ceo@demo.test", "/?as_of=2026-01-31"),
    ("ceo@demo.test", "/strategy/"),
    ("ceo@demo.test", "/strategy/organization"),
    ("ceo@demo.test", "/strategy/service/new"),
    ("ceo@demo.test", "/strategy/service/{service}"),
    ("ceo@demo.test", "/strategy-map/"),
    ("ceo@demo.test", "/objectives/"),
    ("ceo@demo.test", "/objectives/new"),
    ("ceo@demo.test", "/objectives/{objective}"),
    ("ceo@demo.test", "/objectives/indicators/{indicator}"),
    ("ceo@demo.test", "/plans/"),
    ("ceo@demo.test", "/plans/new"),
    ("ceo@demo.test", "/plans/{plan}"),
    ("ceo@demo.test", "/plans/{plan}/archive"),
    ("ceo@demo.test", "/search?q=order"),
    ("ceo@demo.test", "/objectives/indicators/"),
    ("viewer@demo.test", "/plans/{plan}/edit"),
    ("ceo@demo.test", "/departments/"),
    ("ceo@demo.test", "/departments/sales"),
    ("ceo@demo.test", "/timeline/"),
    ("ceo@demo.test", "/reports/alignment"),
    ("ceo@demo.test", "/reports/matrix"),
    ("ceo@demo.test", "/meeting"),
    ("ceo@demo.test", "/meeting/slides/slide-changes"),
    ("ceo@demo.test", "/meeting/reviews"),
    ("ceo@demo.test", "/meeting/reviews/new"),
    ("ceo@demo.test", "/exports/"),
    ("ceo@demo.test", "/exports/report"),
    ("ceo@demo.test", "/account/"),
    ("ceo@demo.test", "/account/password"),
    ("ceo@demo.test", "/admin/users"),
    ("ceo@demo.test", "/admin/users/new"),
    ("ceo@demo.test", "/admin/departments"),
    ("ceo@demo.test", "/admin/audit"),
    ("ceo@demo.test", "/api/v1/docs"),
    ("ceo@demo.test", "/service-health"),
    ("ceo@demo.test", "/service-health/assessments"),
    ("ceo@demo.test", "/service-health/assessments/{assessment}"),
    ("ceo@demo.test", "/service-health/new"),
    ("sales.lead@demo.test", "/service-health/assessments/{assessment}/elements/performance/plan"),
    ("sales.lead@demo.test", "/reports/my-updates"),
    ("sales.lead@demo.test", "/plans/{plan}/edit"),
    ("sales.lead@demo.test", "/plans/{plan}/check-in"),
    ("sales.lead@demo.test", "/objectives/indicators/{plan_indicator}"),
    ("sales.lead@demo.test", "/actuals/{plan_indicator}/new"),
    ("sales.lead@demo.test", "/actuals/{plan_indicator}/upload"),
    ("viewer@demo.test", "/"),
    ("ceo@demo.test", "/nps/"),
    ("ceo@demo.test", "/nps/?segment=independent stores&as_of=2026-01-31"),
    ("ceo@demo.test", "/nps/follow-ups"),
    ("ceo@demo.test", "/nps/import"),
    ("sales.lead@demo.test", "/nps/follow-ups/{follow_up}"),
    ("member@demo.test", "/nps/follow-ups/{follow_up}"),
    ("viewer@demo.test", "/nps/"),
]

INDICATOR_LINK = r"^/objectives/indicators/(\d+)$"


def _ids(page, where: str, pattern: str) -> list[str]:
    """The ids in the links of where's main content that match pattern, in page order."""
    page.goto(where)
    hrefs = page.eval_on_selector_all(
        "main a[href]", "links => links.map(a => a.getAttribute('href'))"
    )
    return [m.group(1) for h in hrefs if (m := re.match(pattern, h or ""))]


_KNOWN: dict[str, str] = {}  # ids already read off the demo's pages (per test worker)


def _resolve(page, path: str) -> str:
    """path with each placeholder replaced by an id read off the demo's pages."""
    known = _KNOWN
    if "{service}" in path and "service" not in known:
        known["service"] = _ids(page, "/strategy/", r"^/strategy/service/(\d+)$")[0]
    if ("{objective}" in path or "{indicator}" in path) and "indicator" not in known:
        known["objective"] = _ids(page, "/objectives/", r"^/objectives/(\d+)$")[0]
        known["indicator"] = _ids(page, f"/objectives/{known['objective']}", INDICATOR_LINK)[0]
    if "{assessment}" in path and "assessment" not in known:  # the demo's first (oldest)
        found = _ids(page, "/service-health/assessments", r"^/service-health/assessments/(\d+)$")
        known["assessment"] = found[-1]
    if "{plan" in path and "plan" not in known:  # a sales plan with an indicator of its own
        for plan in _ids(page, "/plans/?department=sales", r"^/plans/(\d+)$"):
            indicators = _ids(page, f"/plans/{plan}", INDICATOR_LINK)
            if indicators:
                known["plan"], known["plan_indicator"] = plan, indicators[0]
                break
    if "{follow_up}" in path and "follow_up" not in known:  # an open detractor follow-up
        known["follow_up"] = _ids(page, "/nps/follow-ups?state=open", r"^/nps/follow-ups/(\d+)$")[0]
    return path.format(**known)


def _report(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        targets = [", ".join(n["target"]) for n in v["nodes"][:5]]
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} × {targets}")
    return "\n".join(lines)


@pytest.mark.parametrize(("who", "path"), PAGES, ids=[f"{w or 'visitor'} {p}" for w, p in PAGES])
def test_no_axe_violation(page_as, who, path):
    page = page_as(who)
    url = _resolve(page, path)
    response = page.goto(url)
    assert response is not None
    assert response.status < 500, url
    page.wait_for_load_state("load")  # the scripts have run: charts are drawn and checked too
    results = AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
    violations = results.response["violations"]
    assert not violations, f"{url}:\n{_report(violations)}"
    # DESIGN §8: the page works at 375 px wide (wide tables scroll inside their own box)
    # once the charts have followed the window (Plotly's responsive resize is debounced).
    page.set_viewport_size({"width": 375, "height": 800})
    # (wait_for_function would need 'unsafe-eval', which the CSP rightly refuses.)
    overflow = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    deadline = time.monotonic() + 3
    while page.evaluate(overflow) > 0 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert page.evaluate(overflow) <= 0, (
        f"{url} scrolls sideways by {page.evaluate(overflow)} px at 375 px wide"
    )
