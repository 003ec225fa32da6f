"""Plumbing: the audit trail, the data version token, rate limits, throttles and the errors
services raise. Imports nothing from the other service packages."""
