"""Plotly served by the app: versioned URL, gzip, immutable caching, ETag, no sign-in."""

from __future__ import annotations

import gzip
import re

import pytest

import strategy_app.assets
import strategy_app.strategymap
import strategy_app.timeline
from strategy_app import assets
from tests import factories

BUNDLE = assets.BUNDLE.read_bytes()
VERSION = re.search(rb"plotly\.js v([\d.]+)", BUNDLE[:500])[1].decode()


@pytest.fixture
def charts_app(app):
    """The app with the blueprints the lead registers in the factory (if not there yet)."""
    for module, name in (
        (strategy_app.assets, "assets"),
        (strategy_app.timeline, "timeline"),
        (strategy_app.strategymap, "strategymap"),
    ):
        if name not in app.blueprints:
            module.register(app)
    return app


@pytest.fixture
def urls(charts_app):
    with charts_app.test_request_context():
        return assets.urls()


def test_the_plotly_url_names_the_version_and_a_digest(urls):
    assert re.fullmatch(
        rf"/assets/plotly-{re.escape(VERSION)}\.[0-9a-f]{{12}}\.min\.js", urls["js"]
    )
    assert re.fullmatch(rf"/assets/plotly-{re.escape(VERSION)}\.[0-9a-f]{{12}}\.css", urls["css"])


def test_plotly_is_served_without_sign_in_and_cached_for_a_year(charts_app, urls):
    response = charts_app.test_client().get(urls["js"], headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.data == BUNDLE
    assert "Content-Encoding" not in response.headers
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Vary"] == "Accept-Encoding"  # not Cookie: no session opened
    assert "Set-Cookie" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert re.fullmatch(r'"[0-9a-f]{32}"', response.headers["ETag"])


def test_a_signed_in_user_gets_the_asset_without_a_cookie(charts_app, urls, client, db_session):
    # even one who must change their password (every other page redirects them)
    user = factories.user("viewer", must_change_password=True)
    db_session.commit()
    client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    response = client.get(urls["js"], headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert response.headers["Vary"] == "Accept-Encoding"


def test_only_get_and_head(charts_app, urls):
    assert charts_app.test_client().post(urls["js"]).status_code == 404


def test_gzip_when_the_browser_accepts_it(charts_app, urls):
    client = charts_app.test_client()
    response = client.get(urls["js"], headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert int(response.headers["Content-Length"]) == len(response.data) < len(BUNDLE) / 2
    assert gzip.decompress(response.data) == BUNDLE
    assert response.headers["ETag"].endswith('-gzip"')  # another representation, another tag
    refused = client.get(urls["js"], headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers
    assert refused.data == BUNDLE


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_a_matching_etag_is_answered_304_without_a_body(charts_app, urls, encoding):
    client = charts_app.test_client()
    first = client.get(urls["js"], headers={"Accept-Encoding": encoding})
    again = client.get(
        urls["js"],
        headers={"Accept-Encoding": encoding, "If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    stale = client.get(urls["js"], headers={"Accept-Encoding": encoding, "If-None-Match": '"x"'})
    assert stale.status_code == 200


def test_head_answers_the_headers_only(charts_app, urls):
    response = charts_app.test_client().head(urls["js"], headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["Content-Encoding"] == "gzip"


def test_plotly_css_holds_the_rules_plotly_would_inject(charts_app, urls):
    response = charts_app.test_client().get(urls["css"])
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    css = (gzip.decompress(response.data) if response.content_encoding else response.data).decode()
    assert ".js-plotly-plot .plotly .modebar{position:absolute;top:2px;right:2px;}" in css
    assert ".plotly-notifier{" in css
    assert "X " not in css  # every placeholder replaced


@pytest.mark.parametrize(
    "path",
    ["/assets/plotly-0.0.1.000000000000.min.js", "/assets/nothing.js", "/assets/..%2fconfig.py"],
)
def test_unknown_assets_are_404(charts_app, path):
    assert charts_app.test_client().get(path).status_code == 404


def test_the_css_parser_refuses_a_bundle_it_does_not_understand():
    with pytest.raises(RuntimeError):
        assets.plotly_css("var x = 1;")
    with pytest.raises(RuntimeError):
        assets.plotly_css('{"X,X div":"margin:0;" oops')


@pytest.mark.parametrize("path", ["/", "/timeline/", "/strategy-map/"])
def test_pages_that_draw_charts_reference_plotly(charts_app, urls, client, db_session, path):
    viewer = factories.user("viewer")
    service = factories.service_strategy()
    objective = factories.objective(service)
    factories.plan(objective, factories.department(), due_date=factories.date(2026, 7, 1))
    db_session.commit()
    client.post("/login", data={"email": viewer.email, "password": factories.PASSWORD})
    html = client.get(path).get_data(as_text=True)
    assert f'<script src="{urls["js"]}" defer></script>' in html
    assert (
        f'<link rel="stylesheet" id="plotly.js-style-global" class="no-inline-styles"'
        f' href="{urls["css"]}">' in html
    )
    assert '<script src="/static/js/charts.js' in html
    assert 'type="application/json"' in html
