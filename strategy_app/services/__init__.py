"""Plain functions with the product's rules, page read models and writes; no request globals.

Grouped by kind, lowest first; a package imports only from the ones above it in this list
(and from models/ and extensions), never from a blueprint:

- ``plumbing``   — audit trail, data version, rate limits, throttles, service errors.
- ``evaluation`` — the computation rules of DESIGN §3, the service checklist they score,
                   "today", and their evaluation over the database.
- ``reads``      — read models that pages, charts, the API and exports show.
- ``writes``     — every change, with its validation and audit.
- ``dataio``     — data in and out: demo and benchmark data, backup, imports.

``reads`` and ``writes`` sit side by side and do not import each other.
"""
