"""gunicorn's settings, read from the working directory by `gunicorn wsgi:app`.

An XLSX export of a long history of actuals (150,000 rows on the benchmark data set) takes
longer to build than gunicorn's default 30-second worker timeout, which would kill the
worker mid-download. Every page and API call answers in milliseconds; only those exports
need the margin. Command-line flags (-w, -b, --timeout) still override these.
"""

timeout = 180
graceful_timeout = 30
