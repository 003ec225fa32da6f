"""The demo story as tables: the consumer-products distributor of the seed articles.

Dates are codes relative to today, read by services.demo.relative_date:
"m-6" is the last day of the month six months ago, "f+1" the first day of next month,
"d-10" ten days ago. Users are named by email, departments by slug, objectives and plans
by the short keys below.
"""

from __future__ import annotations

from typing import NamedTuple

CEO = "ceo@demo.test"
MEMBER = "member@demo.test"


def lead(slug: str) -> str:
    """The demo email of a department's lead."""
    return f"{slug}.lead@demo.test"


ORGANIZATION = {
    "name": "Meridian Consumer Distribution",
    "vision": (
        "To be the number one consumer-products distributor in the country and the supplier"
        " that consumers and the stores serving them prefer: every order easy to place,"
        " complete and on time."
    ),
    "mission": (
        "We bring the brands people use every day to every store in the country, quickly and"
        " at a fair cost, and we learn from every customer contact how to serve the consumer"
        " better."
    ),
}

# slug, name, colour, the department's part in customer service (seed 001).
DEPARTMENTS = (
    (
        "sales",
        "Sales",
        "#1f77b4",
        "Pre-sale service: explains price lists and product codes, tells customers where"
        " their account stands, and helps them manage the stock on their shelves.",
    ),
    (
        "logistics",
        "Logistics",
        "#ff7f0e",
        "Order service: answers questions on the product range and on invoices, confirms"
        " delivery dates, and keeps customers informed about their orders and products.",
    ),
    (
        "marketing",
        "Marketing",
        "#2ca02c",
        "Growth support: helps customers grow the category, tells them about campaigns and"
        " launches, runs product sampling and supplies point-of-sale material.",
    ),
    (
        "finance",
        "Finance",
        "#d62728",
        "Commercial finance: supports customers on cost structures, settles questions about"
        " promotions and how they are paid, and looks after the profitability of each account.",
    ),
    (
        "systems",
        "Systems",
        "#9467bd",
        "Information services: supplies the data to monitor every strategy, supports advance"
        " ordering, delivery, billing and collection, and makes sure the contact-centre"
        " solution is built to serve the strategy.",
    ),
)

# email: name, department slug (the roles are in services.demo.DEMO_SIGN_INS).
PEOPLE = {
    CEO: ("Elena Ruiz", None),
    lead("sales"): ("Camila Ortega", "sales"),
    lead("logistics"): ("Tomás Herrera", "logistics"),
    lead("marketing"): ("Priya Nair", "marketing"),
    lead("finance"): ("Daniel Okafor", "finance"),
    lead("systems"): ("Sofia Lindqvist", "systems"),
    MEMBER: ("Lucas Moreno", "sales"),
    "viewer@demo.test": ("Ana Castillo", None),
}

# key, title, description, owner.
COMPANY_STRATEGIES = (
    (
        "costs",
        "Reduce costs",
        "Lower the cost of serving each order — warehousing, transport and administration —"
        " without cutting what the customer sees.",
        lead("finance"),
    ),
    (
        "sales",
        "Grow sales",
        "Grow revenue with direct customers (large chains) and independent stores through"
        " better availability and easier ordering.",
        lead("sales"),
    ),
    (
        "consumer",
        "Know the consumer",
        "Understand who buys our products, why they stay loyal and what would make them"
        " leave, and use that knowledge in every plan.",
        lead("marketing"),
    ),
)


class ServiceRow(NamedTuple):
    title: str
    statement: str
    status: str
    archived: bool
    links: tuple[tuple[str, str, str], ...]  # company strategy key, fit, rationale


SERVICE_STRATEGIES = (
    ServiceRow(
        "Win the first moment of truth with direct customers (large chains)",
        "Make ordering with us the easiest and most reliable part of a chain buyer's week:"
        " one contact centre where sales, logistics, marketing, finance and systems each"
        " answer what they know best, so that orders are right the first time, arrive when"
        " promised and grow in size.",
        "active",
        False,
        (
            (
                "sales",
                "supports",
                "Error-free ordering and reliable delivery give chains reasons to order more,"
                " and more often.",
            ),
            (
                "consumer",
                "supports",
                "Every contact is logged and analysed, and the chains share sell-out data"
                " with us in return.",
            ),
            (
                "costs",
                "neutral",
                "Fewer repeat contacts save money, but the contact centre costs money too;"
                " we expect the two to balance this year.",
            ),
        ),
    ),
    # The seed's counter-example, kept on file to show what a conflicting strategy looks like.
    ServiceRow(
        "Minimise telephone contact to cut service costs",
        "Close the telephone line and accept customer contact by post only, to shrink the"
        " cost and size of the service organisation.",
        "archived",
        True,
        (
            ("costs", "supports", "Fewer agents and no telephone bill."),
            (
                "sales",
                "conflicts",
                "Chains that cannot reach us order from a competitor; the savings vanish in"
                " lost sales.",
            ),
            (
                "consumer",
                "conflicts",
                "We would stop hearing from customers at the very moment we want to know"
                " them better.",
            ),
        ),
    ),
)

# key, title, description, owner, tags.
OBJECTIVES = (
    (
        "ordering",
        "Take every order right the first time",
        "Chain buyers get a complete answer on prices, codes, stock and account status in one"
        " contact, and their orders enter our system without errors.",
        lead("sales"),
        ["moment of truth: ordering", "critical success factor", "KPI: customer"],
    ),
    (
        "delivery",
        "Deliver complete and on time to large chains",
        "Every order confirmed with a delivery slot, and delivered in full on that slot.",
        lead("logistics"),
        ["moment of truth: delivery", "critical success factor", "KPI: operations"],
    ),
    (
        "loyalty",
        "Know what makes chains and consumers loyal",
        "Ask every month, close the loop with every detractor, and plan demand together with"
        " the chains.",
        lead("marketing"),
        ["know the consumer", "KPI: customer", "closed loop"],
    ),
    (
        "cost",
        "Serve more for the same cost, and get paid sooner",
        "Bring down the cost to serve an order and the days it takes to be paid: cash and"
        " customers first.",
        lead("finance"),
        ["critical success factor: cash", "KPI: finance", "cost to serve"],
    ),
)


class PlanRow(NamedTuple):
    key: str
    objective: str
    department: str
    title: str
    owner: str
    start: str
    due: str
    state: str
    pct: int
    budget: int | None = None
    description: str = ""


# fmt: off
PLANS = (
    PlanRow("scripts", "ordering", "sales",
            "Answer price-list and product-code questions at the first call",
            lead("sales"), "f-5", "m-3", "done", 100),
    PlanRow("selfservice", "ordering", "sales",
            "Self-service account status and stock view for chain buyers",
            MEMBER, "f-4", "m+2", "in_progress", 55, 18000),
    PlanRow("crm", "ordering", "systems",
            "One customer view: connect the CRM to the order system",
            lead("systems"), "f-5", "d-10", "in_progress", 70, 65000),
    PlanRow("promo_portal", "ordering", "finance",
            "Publish promotion conditions in the order portal",
            lead("finance"), "f+1", "m+4", "planned", 0),
    PlanRow("slots", "delivery", "logistics",
            "Confirm a delivery slot within two hours of each order",
            lead("logistics"), "f-4", "m+1", "in_progress", 60),
    PlanRow("routes", "delivery", "logistics",
            "Re-plan routes around the chains' distribution centres",
            lead("logistics"), "f-3", "d-5", "blocked", 30, 12000),
    PlanRow("feed", "delivery", "systems",
            "Route-planning data feed from the order system",
            lead("systems"), "f-3", "m+1", "in_progress", 45),
    PlanRow("calendar", "delivery", "marketing",
            "Share the launch and promotion calendar with logistics and the chains",
            lead("marketing"), "f-5", "m-1", "done", 100),
    PlanRow("nps", "loyalty", "marketing",
            "Monthly NPS survey with closed-loop follow-up of detractors",
            lead("marketing"), "f-5", "m+6", "in_progress", 50, 7500),
    PlanRow("forecast", "loyalty", "sales",
            "Joint demand forecast with the top five chains",
            lead("sales"), "f-5", "m+3", "in_progress", 65),
    PlanRow("insight", "loyalty", "systems",
            "Customer-insight dashboard from CRM and sell-out data",
            lead("systems"), "f-5", "m+2", "cancelled", 20, 30000,
            "Cancelled: the company-wide BI programme delivers this dashboard."),
    PlanRow("deductions", "cost", "finance",
            "Settle promotion deductions within the month",
            lead("finance"), "f-5", "m+3", "in_progress", 45, 9500),
    PlanRow("einvoice", "cost", "systems",
            "Electronic invoicing for large chains",
            lead("systems"), "f-5", "m-2", "done", 100, 22000),
    PlanRow("consolidate", "cost", "logistics",
            "Consolidate deliveries to independent stores into fixed weekly runs",
            lead("logistics"), "f+1", "m+5", "planned", 0),
)
# fmt: on

# A plan held up by another department's plan: (plan, blocked by, note).
DEPENDENCIES = (
    ("routes", "feed", "Routes cannot be re-planned until order volumes per drop point arrive."),
)


class IndicatorRow(NamedTuple):
    """An expected result; `health` is the status the generated actuals should give today."""

    parent: str  # an objective or plan key
    name: str
    unit: str
    direction: str
    baseline: float
    target: float
    health: str | None  # on_track / at_risk / off_track; None: no actuals yet
    since: str = "m-6"
    until: str = "m+6"
    tolerance: float = 0.10
    decimals: int = 1
    source: str = "manual"  # "api": pushed by a system; "nps": computed from NPS responses
    external_key: str | None = None
    milestones: tuple[tuple[str, float], ...] = ()
    note: str = ""  # on the latest actual: why it is behind, and what follows


# fmt: off
INDICATORS = (
    IndicatorRow("ordering", "First-contact resolution", "%", "increase", 68, 85, "at_risk",
                 source="api", external_key="crm.first_contact_resolution",
                 milestones=(("m+2", 80),),
                 note="Agents still switch screens for account status; the CRM link is late."),
    IndicatorRow("delivery", "On-time delivery to large chains", "%", "increase", 82, 95,
                 "off_track", source="api", external_key="wms.on_time_delivery",
                 note="Two carriers missed the chains' receiving windows; routes re-planned."),
    IndicatorRow("delivery", "Order fill rate", "%", "increase", 91, 97, "on_track",
                 decimals=2),
    IndicatorRow("loyalty", "Net Promoter Score (all segments)", "points", "increase", 6, 40,
                 "on_track", decimals=0, source="nps", external_key="nps.all_segments"),
    IndicatorRow("cost", "Cost to serve per order", "USD", "decrease", 14.80, 12.50, "at_risk",
                 decimals=2,
                 note="Fuel surcharge; consolidated runs for independent stores start soon."),
    IndicatorRow("cost", "Days sales outstanding", "days", "decrease", 52, 42, "on_track",
                 source="api", external_key="erp.dso"),
    IndicatorRow("selfservice", "Order-entry errors per 1,000 lines", "errors", "decrease",
                 12, 4, "off_track", since="m-4", until="m+2",
                 note="Portal pilot delayed; the errors come from re-keyed phone orders."),
    IndicatorRow("crm", "Contacts with the full customer record on screen", "%", "increase",
                 35, 95, "at_risk", since="m-5", until="m+1",
                 note="Billing interface slipped; the rest of the record is live."),
    IndicatorRow("promo_portal", "Promotion queries per 100 orders", "queries", "decrease",
                 9, 4, None, since="m-1", until="m+5"),
    IndicatorRow("slots", "Delivery slots confirmed within 2 hours", "%", "increase", 40, 90,
                 "on_track", since="m-4", until="m+1", milestones=(("m-2", 55),)),
    IndicatorRow("routes", "Drops per route", "drops", "increase", 14, 18, "off_track",
                 since="m-3", until="m+3", decimals=2,
                 note="Waiting for the data feed; routes unchanged."),
    IndicatorRow("nps", "Detractors contacted within 48 hours", "%", "increase", 30, 90,
                 "on_track", until="m+3"),
    IndicatorRow("forecast", "Forecast accuracy (top five chains)", "%", "maintain", 84, 85,
                 "on_track", tolerance=0.05),
    IndicatorRow("deductions", "Disputed invoice value", "% of billing", "decrease", 3.2, 1.5,
                 "on_track", decimals=2, source="api", external_key="erp.disputed_invoices"),
    IndicatorRow("einvoice", "Chain invoices sent electronically", "%", "increase", 20, 100,
                 "on_track", until="m+3"),
)
# fmt: on


class CheckInRow(NamedTuple):
    """A check-in; the latest of a plan leaves state and pct out: it reports the plan as is."""

    days_ago: int
    author: str
    confidence: int
    text: str
    state: str | None = None
    pct: int | None = None


# fmt: off
CHECK_INS = {
    "scripts": (
        CheckInRow(130, lead("sales"), 4, "Scripts drafted for the 300 best-selling codes.",
                   "in_progress", 40),
        CheckInRow(95, lead("sales"), 5, "Scripts live for all active codes; agents trained."),
    ),
    "selfservice": (
        CheckInRow(60, MEMBER, 4, "Two chains testing the account-status page.",
                   "in_progress", 25),
        CheckInRow(30, MEMBER, 3, "Stock view built; waiting for nightly stock figures.",
                   "in_progress", 40),
        CheckInRow(6, MEMBER, 3, "Stock view live for the pilot chains; rolling out to the rest."),
    ),
    "crm": (
        CheckInRow(75, lead("systems"), 4, "Customer master data matched in CRM and orders.",
                   "in_progress", 35),
        CheckInRow(20, lead("systems"), 2,
                   "Billing interface slipped: the supplier needs three more weeks."),
    ),
    "slots": (
        CheckInRow(50, lead("logistics"), 3, "Slot rules agreed with the two largest chains.",
                   "in_progress", 30),
        CheckInRow(9, lead("logistics"), 4, "Most confirmations now go out automatically."),
    ),
    "routes": (
        CheckInRow(40, lead("logistics"), 3, "Drop points mapped for every chain warehouse.",
                   "in_progress", 30),
        CheckInRow(12, lead("logistics"), 2,
                   "Blocked: we need order volumes per drop point from the systems feed."),
    ),
    "feed": (
        CheckInRow(35, lead("systems"), 4, "Feed design agreed with logistics.", "in_progress", 20),
        CheckInRow(8, lead("systems"), 3, "Test extract delivered; volumes per drop point next."),
    ),
    "nps": (
        CheckInRow(90, lead("marketing"), 4, "First monthly survey sent to chains and stores.",
                   "in_progress", 20),
        CheckInRow(15, lead("marketing"), 4,
                   "Every detractor now gets a call; the 48-hour rate keeps rising."),
    ),
    "forecast": (
        CheckInRow(45, lead("sales"), 4, "Joint forecast in place with three of the five chains.",
                   "in_progress", 50),
        CheckInRow(10, lead("sales"), 3,
                   "Fifth chain signed up; accuracy holding inside the agreed band."),
    ),
    "deductions": (
        CheckInRow(25, lead("finance"), 4, "Backlog of deductions older than 90 days cleared."),
    ),
    "insight": (
        CheckInRow(70, lead("systems"), 3,
                   "Stopped: the company BI programme will deliver this; no duplicate work."),
    ),
}
# fmt: on

# Monthly NPS survey answers, six months ago to last month (16 answers a month).
NPS_SCORES = (
    "9 7 3 10 8 6 9 5 8 10 2 7 9 8 6 9",
    "10 8 6 9 7 4 9 8 10 5 7 9 3 8 9 8",
    "9 8 10 6 9 7 8 4 9 10 7 5 8 9 3 8",
    "10 9 7 6 9 8 10 5 9 8 7 9 4 8 3 10",
    "9 10 8 6 9 7 10 9 5 8 9 3 10 7 4 9",
    "10 9 8 9 6 10 7 9 8 10 4 9 8 7 5 9",
)
# segment, customer reference prefix
NPS_SEGMENTS = (
    ("large chains", "CH"),
    ("independent stores", "IS"),
    ("large chains", "CH"),
    ("wholesalers", "WH"),
)
PROMOTER_COMMENTS = (
    "Orders always arrive complete.",
    "The contact centre knew my account at once.",
    "Delivery slot confirmed the same morning.",
    "",
)
# What detractors said, who follows up, and the plan that addresses it.
DETRACTOR_ISSUES = (
    ("The delivery came two days after the promised date.", lead("logistics"), "slots"),
    ("Nobody could tell me the balance of my account on the phone.", MEMBER, "selfservice"),
    ("The promotion discount was missing from the invoice.", lead("finance"), "deductions"),
    ("Half the order was missing and no one warned us.", lead("logistics"), "routes"),
    ("I was transferred three times before anyone could answer.", lead("sales"), "crm"),
)
FOLLOW_UP_NOTES = {
    "open": "",
    "contacted": "Called the customer; waiting for the fix to confirm.",
    "resolved": "Called the customer, explained the cause and agreed the fix.",
}

# Service-health self-assessment: scores per element, in statement order, and comments.
ASSESSMENT_SCORES = {
    "strategy": "3 2 3",
    "structure": "2 3",
    "channels": "2 3 2 1",
    "systems": "1 2 1 2",
    "processes": "2 2 3 2 3",
    "performance": "3 2 2 1 1 3 2 2 1 1",
    "recruitment": "3 3 2",
    "training": "3 2 3 2 2",
    "retention": "2 3 3 2",
}
ASSESSMENT_COMMENTS = {
    "strategy.1": "Linked in this tool to 'grow sales' and 'know the consumer'.",
    "channels.4": "No self-service yet; the account-status and stock view is in progress.",
    "systems.3": "Agents switch between three screens to see an account; see the CRM plan.",
    "performance.5": "Staffing follows a fixed rota, so Monday peaks go unanswered.",
    "performance.10": "Logistics is measured on cost per drop only, which works against slots.",
}
ASSESSMENT_NOTES = (
    "Second self-assessment, five months after the first. Channels and systems are better"
    " with the CRM link and self-service under way; performance management is still weak."
)

REVIEW = {
    "days_ago": 28,
    "attendees": (
        "Elena Ruiz, Camila Ortega, Tomás Herrera, Priya Nair, Daniel Okafor, Sofia Lindqvist"
    ),
    "notes": (
        "Monthly review of the service strategy. First-contact resolution is behind plan"
        " because the CRM link is late; on-time delivery to chains fell in two weeks of"
        " carrier failures. NPS keeps rising."
    ),
    "decisions": (
        ("Systems delivers the route-planning feed before logistics re-plans routes.", "feed"),
        ("Publish promotion conditions in the order portal next month.", "promo_portal"),
        ("Review first-contact resolution weekly in the contact centre until back on plan.", None),
    ),
}
