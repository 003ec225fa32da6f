"""The endpoints of /api/v1: importing this module registers them all, in document order."""

from __future__ import annotations

# In this order the OpenAPI document lists them: who and what, the five CRUD resources,
# actuals, then the document itself (it must come last: it describes what came before).
# isort: off
from strategy_app.api import endpoints, resources, measurements, document  # noqa: F401
# isort: on

# The names this module had when it held every view, for code that imports them from here.
from strategy_app.api.common import (  # noqa: F401
    READ_ERRORS,
    WRITE_ERRORS,
    AsOfQuery,
    ListQuery,
    indicator_out,
    objective_out,
    plan_out,
    service_out,
)
from strategy_app.api.common import as_of_date as _as_of  # noqa: F401
from strategy_app.api.common import dump as _dump  # noqa: F401
from strategy_app.api.common import page_of as _page  # noqa: F401
from strategy_app.api.common import paged as _paged  # noqa: F401
from strategy_app.api.crud import refuse_nulls as _refuse_nulls  # noqa: F401
from strategy_app.api.resources import IndicatorQuery, PlanQuery  # noqa: F401
