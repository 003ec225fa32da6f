"""Exceptions the services raise; the web pages and the API turn them into 4xx answers."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Base of the errors a caller is expected to show to the user."""

    status = 400

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationFailed(ServiceError):
    """Values that break a rule; .fields says which and why (422)."""

    status = 422

    def __init__(self, fields: dict[str, list[str]], message: str = "Some values are not valid."):
        super().__init__(message, fields)


class PermissionDenied(ServiceError):
    """The actor may not do this (403)."""

    status = 403

    def __init__(self, action: str, obj: Any = None):
        super().__init__("You are not allowed to do this.")
        self.action = action
        self.obj = obj


class NotFound(ServiceError):
    """A referenced object does not exist (404)."""

    status = 404


class StaleVersion(ServiceError):
    """Somebody saved a newer version first (409); .current is the object as it is now."""

    status = 409

    def __init__(self, current: Any):
        super().__init__(
            "Somebody else changed this since you opened it. Review their changes and try again."
        )
        self.current = current
