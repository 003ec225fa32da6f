// Decision rows of the review form: add rows in the page, and show a row's plan fields only
// while "Make it an action plan" is ticked. Without this script the form still works:
// "Add another decision" posts the form back with one more row, and the plan fields show.
(function () {
  "use strict";

  var form = document.getElementById("review-form");
  if (!form) {
    return;
  }
  var body = form.querySelector("[data-decision-rows]");
  var addButton = form.querySelector("[data-add-row]");

  function rowIndex(name) {
    var match = /^decisions-(\d+)-/.exec(name || "");
    return match ? parseInt(match[1], 10) : -1;
  }

  function nextIndex() {
    var max = -1;
    body.querySelectorAll("[name^='decisions-']").forEach(function (el) {
      max = Math.max(max, rowIndex(el.name));
    });
    return max + 1;
  }

  function bindRow(row) {
    var box = row.querySelector("[data-make-plan]");
    var fields = row.querySelector("[data-plan-fields]");
    if (!box || !fields) {
      return;
    }
    var sync = function () {
      fields.hidden = !box.checked;
    };
    box.addEventListener("change", sync);
    sync();
  }

  function cleanCopy(template, index) {
    var row = template.cloneNode(true);
    row.querySelectorAll(".invalid-feedback").forEach(function (el) {
      el.remove();
    });
    row.querySelectorAll("input, textarea, select").forEach(function (el) {
      var field = el.name.replace(/^decisions-\d+-/, "");
      var oldId = el.id;
      el.name = "decisions-" + index + "-" + field;
      el.id = el.name;
      if (el.type === "checkbox") {
        el.checked = false;
      } else if (el.tagName === "SELECT") {
        el.selectedIndex = 0;
      } else {
        el.value = "";
      }
      el.classList.remove("is-invalid");
      el.removeAttribute("aria-invalid");
      var help = row.querySelector("[id='" + oldId + "-help']");
      if (help) {
        help.id = el.id + "-help";
        el.setAttribute("aria-describedby", help.id);
      } else {
        el.removeAttribute("aria-describedby");
      }
      var label = row.querySelector("label[for='" + oldId + "']");
      if (label) {
        label.htmlFor = el.id;
      }
    });
    var rows = body.querySelectorAll("[data-decision-row]").length;
    var legend = row.querySelector("[data-row-legend]");
    if (legend) {
      legend.textContent = "Decision " + (rows + 1);
    }
    return row;
  }

  body.querySelectorAll("[data-decision-row]").forEach(bindRow);
  if (addButton) {
    addButton.addEventListener("click", function (e) {
      var rows = body.querySelectorAll("[data-decision-row]");
      if (!rows.length) {
        return; // let the button post the form back, which adds a row
      }
      e.preventDefault();
      var row = cleanCopy(rows[rows.length - 1], nextIndex());
      body.appendChild(row);
      bindRow(row);
      row.querySelector("textarea").focus();
    });
  }
})();
