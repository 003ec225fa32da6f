"""gunicorn's settings, read from the working directory by `gunicorn wsgi:app`.

An XLSX export of a long history of actuals (150,000 rows on the benchmark data set) takes
longer to build than gunicorn's default 30-second worker timeout, which would kill the
worker mid-download. Every page and API call answers in milliseconds; only those exports
need the margin. Command-line flags (-w, -b, --timeout) still override these.
"""

import gc

timeout = 180
graceful_timeout = 30


def post_worker_init(worker):
    """Once the worker has loaded the app, move everything loaded so far (modules, the app,
    SQLAlchemy's mappers, templates) out of the garbage collector's sight: a full
    collection otherwise walks it all again, and on the benchmark data set those pauses
    cost 60-80 ms whenever a request builds many rows (gc.freeze, Python ≥ 3.7).

    The figures kept under the data version (thousands of plans' results) are made later,
    by requests: collections of the young generation every 700 new objects (the default)
    walk them again and again while a page builds its rows. Every 50,000 is still often
    enough to bound memory, and 15-30% faster on the benchmark's pages (measured
    alternating both settings in one process: meeting 335 → 236 ms, dashboard 63 → 51 ms).
    """
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
