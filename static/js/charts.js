/* Draw every server-built Plotly figure on the page; no inline script, so the CSP holds.
 *
 * An element with a data-figure attribute is a chart: the attribute holds the figure JSON
 * itself, or the id of a <script type="application/json"> block that does (when empty,
 * the next sibling element is that block). The figure is {data, layout, config?}.
 */
(function () {
  "use strict";

  var CONFIG = { responsive: true, displaylogo: false };

  function figureOf(el) {
    var ref = el.getAttribute("data-figure") || "";
    if (ref.charAt(0) === "{") {
      return JSON.parse(ref);
    }
    var block = ref ? document.getElementById(ref) : el.nextElementSibling;
    if (!block || block.getAttribute("type") !== "application/json") {
      return null;
    }
    return JSON.parse(block.textContent);
  }

  var NARROW = 576; // px: below this, the figure's layout.meta.narrow changes apply

  function merged(base, changes) {
    var result = Object.assign({}, base);
    Object.keys(changes).forEach(function (key) {
      var value = changes[key];
      var plain = value && typeof value === "object" && !Array.isArray(value);
      result[key] = plain && base[key] && typeof base[key] === "object"
        ? merged(base[key], value)
        : value;
    });
    return result;
  }

  /* Narrow: drawn (or about to be) narrower than NARROW px. A hidden chart has no width:
   * it is drawn wide, and redrawn when shown if it turns out narrow (see fit). */
  function isNarrow(el) {
    return el.clientWidth > 0 && el.clientWidth < NARROW;
  }

  function layoutFor(el, layout, narrowNow) {
    var narrow = layout && layout.meta && layout.meta.narrow;
    return narrow && narrowNow ? merged(layout, narrow) : layout || {};
  }

  function configFor(figure, narrowNow) {
    var meta = (figure.layout && figure.layout.meta) || {};
    var config = Object.assign({}, CONFIG, figure.config || {});
    return narrowNow && meta.narrow_config ? Object.assign(config, meta.narrow_config) : config;
  }

  function draw(el) {
    var figure;
    try {
      figure = figureOf(el);
    } catch (err) {
      console.warn("charts.js: figure JSON could not be read for #" + el.id, err);
      return null;
    }
    if (!figure) {
      return null;
    }
    var narrowNow = isNarrow(el);
    el.__figure = figure;
    el.__narrow = narrowNow;
    var layout = layoutFor(el, figure.layout, narrowNow);
    var config = configFor(figure, narrowNow);
    return window.Plotly.newPlot(el, figure.data || [], layout, config).then(
      function () {
        el.classList.add("chart-drawn");
      }
    );
  }

  function drawAll(root) {
    if (!window.Plotly) {
      return;
    }
    (root || document).querySelectorAll("[data-figure]").forEach(draw);
  }

  /* Charts drawn while hidden (a closed slide, a collapsed section) have no size: call
   * this when their container is shown. */
  function resizeWithin(root) {
    if (!window.Plotly) {
      return;
    }
    (root || document).querySelectorAll(".js-plotly-plot").forEach(fit);
  }

  /* A chart whose width crossed NARROW since it was drawn gets the other layout; any other
   * is resized to its box. */
  function fit(el) {
    var figure = el.__figure;
    var narrowNow = isNarrow(el);
    if (figure && el.clientWidth > 0 && narrowNow !== el.__narrow) {
      el.__narrow = narrowNow;
      window.Plotly.react(
        el,
        figure.data || [],
        layoutFor(el, figure.layout, narrowNow),
        configFor(figure, narrowNow)
      );
    } else {
      window.Plotly.Plots.resize(el);
    }
  }

  var resizing = 0;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizing);
    resizing = window.setTimeout(function () {
      if (window.Plotly) {
        document.querySelectorAll(".js-plotly-plot").forEach(function (el) {
          if (el.__figure && el.clientWidth > 0 && isNarrow(el) !== el.__narrow) {
            fit(el);
          }
        });
      }
    }, 200);
  });

  window.StrategyCharts = { draw: draw, drawAll: drawAll, resizeWithin: resizeWithin };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      drawAll();
    });
  } else {
    drawAll();
  }
})();
