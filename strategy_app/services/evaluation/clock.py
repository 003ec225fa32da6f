"""What "today" is: the real date, or the one fixed by configuration (tests, demos)."""

from datetime import date

from flask import current_app, has_app_context


def today() -> date:
    """Today's date, unless FIXED_TODAY is configured."""
    if has_app_context():
        fixed = current_app.config.get("FIXED_TODAY")
        if fixed:
            return fixed if isinstance(fixed, date) else date.fromisoformat(fixed)
    return date.today()
