"""Archive safely, one mechanism for every page that archives something.

- GET .../archive: a confirmation that says what goes with the thing
  (services/reads/archiving.effects), with "Archive" and "Keep it";
- POST .../archive: archive it, then the thing's page (or where it is listed) with an
  "Undo" button right there (the flash category "undo" that base.html renders);
- POST .../restore: bring it back; who may is policy.RESTORE (whoever may edit it);
- an archived thing's edit address refuses politely (409) and offers "Restore".

Blueprints call these with the object and its addresses; the rules stay in the policy and
in services/writes/cascade.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request
from flask_login import current_user

from strategy_app import policy
from strategy_app.extensions import db
from strategy_app.services.reads import archiving
from strategy_app.services.writes import cascade


@dataclass(frozen=True)
class Addresses:
    """Where a thing lives: its page, its archive and restore actions, where to land after."""

    view: str
    archive: str
    restore: str
    after_archive: str | None = None  # default: its own page (which then says "archived")


def confirm_or_archive(
    obj: Any,
    urls: Addresses,
    do_archive: Callable[[], None],
    *,
    where: str = "every list and computation",
):
    """GET: the confirmation; POST: archive (do_archive checks the policy), flash "Undo"."""
    what, title = archiving.kind(obj), archiving.title(obj)
    if request.method == "GET":
        if obj.is_archived:
            return redirect(urls.view)
        return render_template(
            "archive_confirm.html",
            obj=obj,
            kind=what,
            title=title,
            urls=urls,
            where=where,
            effects=archiving.effects(obj),
            restorers=restorers(obj),
        )
    do_archive()
    db.session.commit()
    if policy.can(current_user, policy.RESTORE, obj):
        flash(
            {
                "text": f"{what.capitalize()} “{title}” archived. It has left {where}.",
                "undo": urls.restore,
                "what": title,
            },
            "undo",
        )
    else:  # restoring is the executives' (DESIGN §4): no Undo to offer
        flash(
            f"{what.capitalize()} “{title}” archived. It has left {where}; "
            "an executive can restore it.",
            "success",
        )
    return redirect(urls.after_archive or urls.view)


def restore(obj: Any, back: str):
    """Bring obj back (policy.RESTORE, checked by cascade.restore) and go to its page."""
    cascade.restore(current_user, obj)
    db.session.commit()
    flash(f"{archiving.kind(obj).capitalize()} “{archiving.title(obj)}” restored.", "success")
    return redirect(back)


def restorers(obj: Any) -> str:
    """Who may bring obj back later, in words (the policy's RESTORE rule, told)."""
    if policy.can(current_user, policy.RESTORE, obj):
        return "you or another executive"
    return "an executive"


def refuse_if_archived(obj: Any, urls: Addresses) -> None:
    """An archived thing cannot be changed: answer 409 with a page that offers "Restore"."""
    if not obj.is_archived:
        return
    page = render_template(
        "archived_refusal.html",
        obj=obj,
        kind=archiving.kind(obj),
        title=archiving.title(obj),
        urls=urls,
        may_restore=policy.can(current_user, policy.RESTORE, obj),
    )
    abort(make_response(page, 409))
