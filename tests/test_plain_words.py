"""Every form with every field wrong at once: one message per field, in people's words.

The forms are the ones tests/test_hostile_forms.py finds (every POST route of the app, by
following the app's own links, and the second steps its first posts show). Each field a
person can get wrong gets a wrong value at once (text far too long, a number in letters, a
day that does not exist, a choice that is not offered), the form is posted once, and the
answer must refuse it, write nothing, and show for each of those fields exactly one message
beside the field and a link to it in the summary at the top, with no validator jargon.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tests.test_hostile_forms import (  # noqa: F401  (shared is a fixture)
    DATE_FILL,
    POST_ENDPOINTS,
    STEP_TWO,
    Control,
    Form,
    Harness,
    Source,
    replace,
    shared,
)

JARGON = (
    "String should",
    "Input should",
    "unable to parse",
    "_id",
    "NoneType",
    "Not a valid",
    "This field is required",
    "Value error",
    "float",
    "Invalid Choice",
)
NUMBERS = frozenset(
    {
        "value",
        "baseline_value",
        "target_value",
        "expected_value",
        "tolerance",
        "budget",
        "progress_pct",
        "position",
        "days",
        "score",
    }
)
TOO_LONG = "x" * 10_001  # longer than any text the app keeps
# Fields no person can get wrong: carried values, buttons, a box ticked or not.
NOT_TYPED = ("hidden", "checkbox", "file", "button")
# Forms whose fields are refused together on purpose, with one message for the form:
# the sign-in does not tell which of email and password was wrong.
ONE_MESSAGE = {"auth.login"}
# Fields that only count in a choice the wrong values do not make (the new plan's department
# and title belong to the corrective action "Create a new action plan").
# A review's decision becomes a plan only when its box is ticked: the plan's fields wait.
DEPENDENT = {
    "actuals.new": {"department_id", "title"},
    "actuals.upload": {"department_id", "title"},
    "meetings.review_new": {"plan_title", "due_date", "objective_id", "department_id"},
}


def wrong_value(c: Control) -> str | None:
    """What a person could type or pick that is wrong for this control (None: no such)."""
    short = c.name.rsplit("-", 1)[-1]
    if not c.name or c.name == "csrf_token" or c.kind in NOT_TYPED:
        return None
    if c.kind in ("select", "radio"):
        return "not-a-choice"
    if c.kind == "password":
        return "y" if short == "confirm" else "x"  # a repeat that differs
    if c.kind == "date" or short in DATE_FILL or short.endswith("_date"):
        return "2026-02-30"
    if c.kind == "number" or short in NUMBERS:
        return "twelve"
    if c.kind == "email" or short == "email":
        return "not an email"
    if short == "colour":
        return "blue-ish"
    return TOO_LONG


class Messages(HTMLParser):
    """The summary's links (target → texts) and each field's messages (id → text)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.summary: dict[str, list[str]] = {}
        self.summary_texts: list[str] = []
        self.beside: dict[str, str] = {}
        self._in_summary = 0
        self._link: str | None = None
        self._feedback: str | None = None
        self._depth = 0
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id") == "error-summary":
            self._in_summary = 1
        elif self._in_summary and tag in ("div", "ul", "li", "h2"):
            self._in_summary += tag == "div"
        if self._in_summary and tag == "a":
            self._link, self._text = (a.get("href") or "").lstrip("#"), ""
        if self._in_summary and tag == "li":
            self.summary_texts.append("")
        if "invalid-feedback" in (a.get("class") or "") and a.get("id", "").endswith("-errors"):
            self._feedback, self._depth, self._text = a["id"].removesuffix("-errors"), 1, ""
        elif self._feedback and tag == "div":
            self._depth += 1

    def handle_endtag(self, tag):
        if self._in_summary and tag == "a" and self._link is not None:
            self.summary.setdefault(self._link, []).append(self._text.strip())
            self._link = None
        if self._in_summary and tag == "div":
            self._in_summary -= 1
        if self._feedback and tag == "div":
            self._depth -= 1
            if not self._depth:
                self.beside[self._feedback] = self._text.strip()
                self._feedback = None

    def handle_data(self, data):
        if self._link is not None or self._feedback:
            self._text += data
        if self._in_summary and self.summary_texts:
            self.summary_texts[-1] += data


def forms_to_fill(h: Harness) -> list[Source]:
    """The forms of the route: on its page, and those its first posts show (step two)."""
    sources = h.find()
    known = {s.key for s in sources}
    queue, out = list(sources), []
    while queue:
        source = queue.pop(0)
        out.append(source)
        if source.via is not None:
            continue
        for overrides in STEP_TWO.get(h.endpoint, []):
            pairs = h.baseline(source, overrides)
            r = h.case(source, "as filled in", f"(step two {overrides})", None, pairs)
            h.discover(source, pairs, r, queue, known)
    return out


def check_form(h: Harness, source: Source, problems: list[str]) -> int:
    """Post the form with every field wrong; the number of fields made wrong."""
    form: Form = h.form(source)
    pairs = h.baseline(source)
    wrong: dict[str, str] = {}
    skip = DEPENDENT.get(h.endpoint, set())
    for c in form.controls:
        value = wrong_value(c)
        short = c.name.rsplit("-", 1)[-1]
        if value is not None and c.name not in wrong and short not in skip:
            wrong[c.name] = value
    if not wrong:
        return 0
    for name, value in wrong.items():
        pairs = replace(pairs, name, value)
    what = f"{h.endpoint} {source.key[0]}"
    r = h.case(source, "every field wrong", "(every field)", None, pairs)
    refused = (400, 401, 422) if h.endpoint in ONE_MESSAGE else (400, 422)
    if h.accepted(r) or r.status_code not in refused:
        problems.append(f"{what}: every field wrong answered {r.status_code}")
        return len(wrong)
    page = Messages()
    page.feed(r.get_data(as_text=True))
    texts = [*page.summary_texts, *page.beside.values()]
    for text in texts:
        for word in JARGON:
            if word.lower() in text.lower():
                problems.append(f"{what}: jargon {word!r} in {text[:160]!r}")
    if h.endpoint in ONE_MESSAGE:
        if len(page.summary_texts) != 1:
            problems.append(f"{what}: {len(page.summary_texts)} messages, not one")
        return len(wrong)
    for name in wrong:
        field_id = name
        links = page.summary.get(field_id, []) + page.summary.get(f"{field_id}-0", [])
        if len(links) != 1:
            problems.append(f"{what}: {name} has {len(links)} summary links: {links}")
        beside = page.beside.get(field_id, "")
        if not beside:
            problems.append(f"{what}: {name} has no message beside it")
        elif links and not links[0].endswith(beside):
            problems.append(f"{what}: {name}: the summary says {links[0]!r}, beside {beside!r}")
    return len(wrong)


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_every_field_wrong_at_once(shared, endpoint):  # noqa: F811
    h = Harness(shared, endpoint)
    problems: list[str] = []
    try:
        counted = [check_form(h, source, problems) for source in forms_to_fill(h)]
        h.unchanged(f"{endpoint} (at the end)")
    finally:
        h.close()
    problems += h.problems
    print(f"\n{endpoint}: {len(counted)} form(s), {sum(counted)} fields made wrong")
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems[:60])


def test_plain_words_covers_the_forms_with_fields():
    """The sweep above reaches the forms people type into (not only buttons)."""
    typed = {e for e in POST_ENDPOINTS if re.search(r"new|edit|check_in|password|login", e)}
    assert len(typed) >= 15, typed
