"""The one place that turns validators' errors into words for people (forms and the API).

pydantic's and WTForms' own messages ("String should have at least 1 character", "Not a
valid float value.") are rewritten here into what is wrong and how to fix it; field names
("period_end", "owner_id") become their labels ("End of the period", "Owner").
"""

from __future__ import annotations

import re
from typing import Any

NUMBER_HINT = "write a number such as 12500 — thousands separators are fine"
DATE_HINT = "write a date such as 2026-06-30"

# Labels of the fields the schemas and forms share (a form's own label wins in a form).
LABELS = {
    "action": "What will be done",
    "action_plan_id": "Action plan",
    "attendees": "Attendees",
    "baseline_date": "Baseline date",
    "baseline_value": "Baseline value",
    "blocked_by_id": "Blocked by",
    "budget": "Budget",
    "colour": "Colour",
    "company_strategy_id": "Company strategy",
    "confidence": "Confidence",
    "confirm": "Confirmation",
    "csv": "CSV",
    "date": "Date",
    "days": "Days",
    "department": "Department",
    "department_id": "Department",
    "description": "Description",
    "direction": "Direction",
    "due_date": "Due date",
    "email": "Email",
    "expected_value": "Expected value",
    "explanation": "Why it is off track",
    "external_key": "External key",
    "fit": "Fit",
    "indicator_id": "Indicator",
    "items": "Items",
    "kind": "Corrective action",
    "links": "Links",
    "milestones": "Milestones",
    "mission": "Mission",
    "name": "Name",
    "note": "Note",
    "notes": "Notes",
    "objective_id": "Objective",
    "owner_id": "Owner",
    "password": "Password",
    "period_end": "End of the period",
    "period_start": "Start of the period",
    "position": "Position",
    "progress_pct": "Progress",
    "rationale": "Rationale",
    "role": "Role",
    "scope": "Scope",
    "service_role": "Part in customer service",
    "service_strategy_id": "Service strategy",
    "slug": "Short name",
    "start_date": "Start date",
    "state": "State",
    "statement": "Statement",
    "status": "Status",
    "tags": "Tags",
    "target_date": "Target date",
    "target_value": "Target value",
    "text": "Text",
    "title": "Title",
    "tolerance": "Tolerance",
    "unit": "Unit",
    "value": "Value",
    "version": "Version",
    "vision": "Vision",
}

# Stored codes in words, by the field that holds them (history panels; the pages' own choice
# labels say the same).
VALUE_WORDS = {
    "state": {
        "planned": "Planned",
        "in_progress": "In progress",
        "done": "Done",
        "blocked": "Blocked",
        "cancelled": "Cancelled",
        "open": "Open",
        "contacted": "Contacted",
        "resolved": "Resolved",
    },
    "status": {
        "active": "Active",
        "archived": "Archived",
        "draft": "Draft",
        "on_track": "On track",
        "at_risk": "At risk",
        "off_track": "Off track",
        "no_data": "No data",
        "sending": "Sending",
        "sent": "Sent",
        "pending": "Waiting",
        "delivered": "Delivered",
        "failed": "Failed",
    },
    "direction": {
        "increase": "Increase (higher is better)",
        "decrease": "Decrease (lower is better)",
        "maintain": "Maintain (stay near the target)",
    },
    "fit": {"supports": "Supports", "neutral": "Neutral", "conflicts": "Conflicts"},
    "role": {
        "executive": "Executive",
        "lead": "Department lead",
        "member": "Member",
        "viewer": "Viewer",
    },
    "scope": {"read": "Read only", "write": "Read and write"},
    "source": {
        "manual": "Typed in",
        "api": "From another system",
        "import": "Uploaded file",
        "nps": "NPS responses",
    },
    "actuals_source": {"manual": "Typed in", "nps": "NPS responses"},
    "frequency": {"weekly": "Weekly", "daily": "Daily", "never": "Never"},
    "corrective_action": {
        "check_in": "A check-in on the plan",
        "record": "A note with the actual",
        "new_plan": "A new action plan",
    },
}
_SNAKE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:([,  '’])\d{3})(?:\1\d{3})*(?:\.\d+)?")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def label(key: str, labels: dict[str, str] | None = None) -> str:
    """A field's label from its error key ("milestones.2.date" → "Milestone 3: Date")."""
    names = {**LABELS, **(labels or {})}
    parts = [p for p in str(key).split(".") if p and p != "body"]
    out: list[str] = []
    i = 0
    while i < len(parts):
        name = names.get(parts[i], parts[i].replace("_", " ").capitalize())
        if i + 1 < len(parts) and parts[i + 1].isdigit():
            out.append(f"{name.removesuffix('s')} {int(parts[i + 1]) + 1}")
            i += 2
        else:
            out.append(name)
            i += 1
    return ": ".join(out)


def in_words(text: str, labels: dict[str, str] | None = None) -> str:
    """Field names inside a message replaced by their labels, first letter capitalised."""
    names = {**LABELS, **(labels or {})}

    def name(match: re.Match) -> str:
        found = names.get(match.group(0))
        return found.lower() if found else match.group(0).replace("_", " ")

    text = _SNAKE.sub(name, text)
    return text[:1].upper() + text[1:]


def _bound(ctx: dict[str, Any], key: str) -> str:
    value = ctx.get(key)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def pydantic_message(err: dict[str, Any], labels: dict[str, str] | None = None) -> str:
    """One pydantic error as a sentence: what is wrong and how to fix it."""
    text = _pydantic_message(err, labels)
    return text if text.endswith((".", "?", "!")) else text + "."


def _pydantic_message(err: dict[str, Any], labels: dict[str, str] | None) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    last = str(err["loc"][-1]) if err.get("loc") else ""
    if last.endswith("_id") and kind not in ("missing", "extra_forbidden", "value_error"):
        return "Choose one of the listed values (that one is not known)."
    if kind == "extra_forbidden":
        return "Unknown or read-only field."
    if kind == "missing":
        return "Fill this in: it is required."
    if kind == "string_too_short":
        return "Fill this in: it must not be empty."
    if kind == "string_too_long":
        length = len(err["input"]) if isinstance(err.get("input"), str) else None
        was = f" (this has {length:,})" if length else ""
        return f"Shorten this to at most {_bound(ctx, 'max_length')} characters{was}."
    if kind in ("too_short",):
        return f"Give at least {_bound(ctx, 'min_length')}."
    if kind in ("too_long",):
        return f"Give at most {_bound(ctx, 'max_length')}."
    if kind in ("float_parsing", "float_type", "decimal_parsing", "decimal_type"):
        return NUMBER_HINT[:1].upper() + NUMBER_HINT[1:] + "."
    if kind in ("int_parsing", "int_type", "int_from_float", "int_parsing_size"):
        return "Write a whole number such as 40."
    if kind == "finite_number":
        return "Write an ordinary number (not infinity and not “NaN”)."
    if kind in ("greater_than_equal", "greater_than"):
        return f"Write a number of at least {_bound(ctx, 'ge' if 'ge' in ctx else 'gt')}."
    if kind in ("less_than_equal", "less_than"):
        return f"Write a number of at most {_bound(ctx, 'le' if 'le' in ctx else 'lt')}."
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"{DATE_HINT[:1].upper()}{DATE_HINT[1:]}."
    if kind in ("literal_error", "enum"):
        return f"Choose one of the listed values ({ctx.get('expected', '')})."
    if kind in ("bool_parsing", "bool_type"):
        return "Choose yes or no."
    if kind in ("string_type", "string_unicode"):
        return "Write text here."
    if kind in ("list_type", "tuple_type"):
        return "Give a list here."
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "Give an object with fields here."
    if kind in ("json_invalid", "json_type"):
        return "Send valid JSON."
    if kind == "value_error":
        return in_words(str(err["msg"]).removeprefix("Value error, "), labels)
    return "This value is not valid: check it and try again."


# WTForms' and Flask-WTF's own messages (and a few of ours from before), in words.
_WTFORMS = [
    (re.compile(r"^Not a valid (float|decimal) value\.?$"), NUMBER_HINT.capitalize() + "."),
    (re.compile(r"^Not a valid integer value\.?$"), "Write a whole number such as 40."),
    (re.compile(r"^Not a valid date(time)? value\.?$"), DATE_HINT.capitalize() + "."),
    (re.compile(r"^Not a valid choices?\.?$"), "Choose one of the listed values."),
    (re.compile(r"^'.*' is not a valid choice.*$"), "Choose one of the listed values."),
    (re.compile(r"^Invalid Choice.*$", re.I), "Choose one of the listed values."),
    # In a form the values are listed beside the message: the API's codes are not repeated.
    (re.compile(r"^Choose one of the listed values \(.*\)\.$"), "Choose one of the listed values."),
    (re.compile(r"^This field is required\.?$"), "Fill this in: it is required."),
    (re.compile(r"^Invalid email address\.?$"), "Write an email address such as ann@example.com."),
    (
        re.compile(r"^Field must be between (\d+) and (\d+) characters long\.?$"),
        r"Write between \1 and \2 characters.",
    ),
    (
        re.compile(r"^Field cannot be longer than (\d+) characters?\.?$"),
        r"Shorten this to at most \1 characters.",
    ),
    (
        re.compile(r"^Field must be at least (\d+) characters? long\.?$"),
        r"Write at least \1 characters.",
    ),
    (
        re.compile(r"^Number must be between (\S+) and (\S+?)\.?$"),
        r"Write a number from \1 to \2.",
    ),
    (re.compile(r"^Number must be at least (\S+?)\.?$"), r"Write a number of at least \1."),
    (re.compile(r"^Number must be at most (\S+?)\.?$"), r"Write a number of at most \1."),
    (re.compile(r"^Field must be equal to .*$"), "The two entries do not match: type them again."),
    (re.compile(r"^Invalid input\.?$"), "This value is not valid: check it and try again."),
    (re.compile(r"^may not be null$"), "Fill this in: it cannot be left empty."),
    (re.compile(r"^Must not contain NUL characters\.?$"), "Remove the NUL characters."),
    (re.compile(r"^must not contain NUL characters$"), "Remove the NUL characters."),
    (
        re.compile(r"^No (\w+) with id \d+\.?$"),
        "Choose one of the listed values (that one no longer exists).",
    ),
    (re.compile(r"^No active user with id \d+\.?$"), "Choose one of the listed people."),
]


def plain(message: str, labels: dict[str, str] | None = None) -> str:
    """A message from any validator in words (already plain messages stay as they are)."""
    text = message.strip()
    for pattern, words in _WTFORMS:
        if pattern.match(text):
            return pattern.sub(words, text)
    return in_words(text, labels)


def number_text(value: Any) -> Any:
    """Typed text with thousands separators ("12,500", "12 500", "12'500") as a plain number
    ("12500"); anything else unchanged (the validator then explains what to write)."""
    if not isinstance(value, str):
        return value
    text = value.strip().replace("\u202f", " ").replace("\u00a0", " ")
    if _THOUSANDS.fullmatch(text):
        return re.sub(r"[,  '’]", "", text)
    return text if _PLAIN_NUMBER.fullmatch(text) else value


# Each kind of thing as people call it, by its model's name: the audit log says "Changed the
# plan …", a confirmation "Archive the plan …?" (services.reads.archiving, without "the").
KIND_WORDS = {
    "ActionPlan": "the plan",
    "ApiToken": "an API token",
    "Assessment": "the service-health assessment",
    "AssessmentAnswer": "an answer of a service-health assessment",
    "CheckIn": "a check-in",
    "CompanyStrategy": "the company strategy",
    "Department": "the department",
    "FollowUp": "a detractor follow-up",
    "Indicator": "the indicator",
    "Measurement": "the actual",
    "Milestone": "a milestone",
    "NpsResponse": "the NPS response",
    "Objective": "the objective",
    "Organization": "the organization",
    "PlanDependency": "a plan's blocker",
    "ReminderPreference": "reminder settings",
    "ReminderSend": "a reminder",
    "Review": "the review",
    "ReviewDecision": "a review decision",
    "ServiceStrategy": "the service strategy",
    "StrategyLink": "a strategy's fit",
    "User": "the account of",
    "Webhook": "the webhook",
    "WebhookDelivery": "a webhook message",
}
