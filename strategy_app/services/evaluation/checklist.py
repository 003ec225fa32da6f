"""The built-in service-health checklist: nine elements in three groups, forty statements.

Each statement has a stable key ("systems.3") that assessment answers refer to, so the
wording can be improved without losing past answers. Answers are scored 0 (not at all)
to 4 (fully); services.evaluation.rules.assessment_scores turns them into 0–100 per element
and overall. It lives in evaluation because the rule is computed over it and both reads and
writes (which may not import dataio) need it.
"""

from __future__ import annotations

from dataclasses import dataclass

STRATEGIC, OPERATIONAL, HR = "Strategic", "Operational", "HR"
GROUPS: tuple[str, ...] = (STRATEGIC, OPERATIONAL, HR)

SCORE_LABELS: dict[int, str] = {
    0: "Not at all",
    1: "A little",
    2: "Partly",
    3: "Largely",
    4: "Fully",
}


@dataclass(frozen=True)
class Statement:
    """One statement a team scores itself against."""

    key: str
    text: str


@dataclass(frozen=True)
class Element:
    """One of the nine elements of service health, with its statements."""

    key: str
    group: str
    title: str
    statements: tuple[Statement, ...]


def _element(key: str, group: str, title: str, *texts: str) -> Element:
    statements = tuple(Statement(f"{key}.{n}", text) for n, text in enumerate(texts, start=1))
    return Element(key, group, title, statements)


ELEMENTS: tuple[Element, ...] = (
    _element(
        "strategy",
        STRATEGIC,
        "Service strategy",
        "Our service strategy is written down and visibly serves the company's overall strategy.",
        "People across the company can say what our service vision and mission are, and the"
        " service team treats them as its own.",
        "Named projects, with owners and dates, are under way to turn the service vision"
        " into reality.",
    ),
    _element(
        "structure",
        STRATEGIC,
        "Organisation structure & culture",
        "The way the service organisation is set up helps, rather than hinders, its mission"
        " and strategy.",
        "When something goes wrong we look for the cause rather than someone to blame, and we"
        " act on what customers tell us.",
    ),
    _element(
        "channels",
        STRATEGIC,
        "Service channels",
        "Customers can reach us and be served through more than one channel of their choosing.",
        "Teams, skills and staffing are organised around the channels customers actually use.",
        "The design of each channel reflects who our customers are and how they like to work"
        " with us.",
        "Customers can settle common requests themselves through simple, well-designed"
        " self-service.",
    ),
    _element(
        "systems",
        OPERATIONAL,
        "Systems",
        "Front- and back-office systems are dependable, accurate and easy for service staff"
        " to use.",
        "Our systems make the customer's experience better, not slower.",
        "The tools on the front line are built so that a query can be closed at the first contact.",
        "Front-line staff can settle most queries without handing them to another team.",
    ),
    _element(
        "processes",
        OPERATIONAL,
        "Processes",
        "Our processes are designed for a great customer experience and for efficiency alike.",
        "Our processes make us easy to deal with, and front-line staff may decide on the spot"
        " in the customer's favour.",
        "We change our processes regularly in response to what customers and staff tell us.",
        "We measure satisfaction with our products, service and support often, and act on the"
        " results quickly across the business.",
        "Complaining is simple, and each complaint is handled promptly as a prompt to improve.",
    ),
    _element(
        "performance",
        OPERATIONAL,
        "Performance management",
        "A small set of relevant KPIs tells us how our service is performing.",
        "Our KPIs show early where our performance is hurting the customer experience.",
        "Meeting a KPI never means saving effort at the customer's expense.",
        "When the workload is heavy, nobody is pushed to cut corners with customers.",
        "Front-line staffing is adjusted to customer demand as it happens.",
        "We review KPI results regularly and use them to plan training and coaching.",
        "Individual performance measures reward behaviour that improves the customer experience.",
        "Individual measures balance customer satisfaction against efficiency, scorecard style.",
        "Individual performance measures feed into reward and recognition.",
        "Other departments' targets support the customer experience instead of pulling"
        " against the service team.",
    ),
    _element(
        "recruitment",
        HR,
        "Recruitment",
        "We select service staff with competency-based assessments as well as interviews.",
        "We hire for behaviour and skills first, because knowledge is easier to teach.",
        "The competencies we recruit for are the ones we later measure people against.",
    ),
    _element(
        "training",
        HR,
        "Training & coaching",
        "Team leaders spend most of their time coaching and supporting, not commanding and"
        " checking.",
        "Nobody serves customers before they are fully trained.",
        "Training continues as products, services and processes change, and people are"
        " cross-trained where possible.",
        "An up-to-date knowledge library exists and people are encouraged to use it.",
        "We deal with poor skills and low motivation rather than tolerate them, because"
        " keeping capable, motivated people matters most.",
    ),
    _element(
        "retention",
        HR,
        "Staff satisfaction & retention",
        "We measure staff satisfaction regularly and change how we work in response.",
        "We make a daily effort to keep people motivated and enjoying their work.",
        "We encourage people to get to know one another, which builds teamwork.",
        "We treat the physical workplace as part of motivation and retention, and invest in it.",
    ),
)

_BY_STATEMENT: dict[str, Element] = {s.key: e for e in ELEMENTS for s in e.statements}


def statement_keys() -> tuple[str, ...]:
    """Every statement key, in checklist order."""
    return tuple(_BY_STATEMENT)


def statements() -> tuple[Statement, ...]:
    """Every statement, in checklist order."""
    return tuple(s for e in ELEMENTS for s in e.statements)


def element_of(statement_key: str) -> Element | None:
    """The element a statement belongs to (None for a key the checklist does not know)."""
    return _BY_STATEMENT.get(statement_key)


def elements_in(group: str) -> tuple[Element, ...]:
    """The elements of one group, in checklist order."""
    return tuple(e for e in ELEMENTS if e.group == group)


def statements_by_element() -> dict[str, list[str]]:
    """{element key: its statement keys}, in checklist order (what rules.assessment_scores
    scores against)."""
    return {e.key: [s.key for s in e.statements] for e in ELEMENTS}


def element(key: str) -> Element | None:
    """The element with this key (None for a key the checklist does not know)."""
    return _BY_KEY.get(key)


_BY_KEY: dict[str, Element] = {e.key: e for e in ELEMENTS}
