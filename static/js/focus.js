// Where the cursor starts: on a form page, the first field of the form; after a refused
// post, the summary of the errors (its links lead to each field). Pages opt in with
// data-autofocus on <main> (strategy_app.forms marks the form pages).
(function () {
  "use strict";
  var main = document.getElementById("main");
  if (!main) return;
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    return;
  }
  // A second step of a form (the explanation an off-track actual asks for) starts there.
  var step = main.querySelector("[data-focus-step]");
  if (step) {
    var first = step.querySelector("input:not([type=hidden]), select, textarea");
    if (first) {
      first.focus();
      return;
    }
  }
  if (!main.hasAttribute("data-autofocus") || window.location.hash) return;
  var fields = main.querySelectorAll(
    'form[method="post"] input:not([type="hidden"]):not([type="submit"]):not([type="button"]),' +
    ' form[method="post"] select, form[method="post"] textarea'
  );
  for (var i = 0; i < fields.length; i++) {
    var f = fields[i];
    if (!f.disabled && !f.readOnly && f.offsetParent !== null) {
      f.focus();
      return;
    }
  }
})();
