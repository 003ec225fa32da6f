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

  function layoutFor(el, layout) {
    var narrow = layout && layout.meta && layout.meta.narrow;
    return narrow && el.clientWidth < NARROW ? merged(layout, narrow) : layout || {};
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
    var config = Object.assign({}, CONFIG, figure.config || {});
    var layout = layoutFor(el, figure.layout);
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
    (root || document).querySelectorAll(".js-plotly-plot").forEach(function (el) {
      window.Plotly.Plots.resize(el);
    });
  }

  window.StrategyCharts = { draw: draw, drawAll: drawAll, resizeWithin: resizeWithin };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      drawAll();
    });
  } else {
    drawAll();
  }
})();
