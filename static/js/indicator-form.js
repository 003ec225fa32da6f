// Milestone rows of the indicator form: add and remove rows in the page.
// Without this script the form still works: "Add another row" posts the form back with one
// more row, and a cleared row is ignored.
(function () {
  "use strict";

  function rowIndex(name) {
    var match = /^milestones-(\d+)-/.exec(name || "");
    return match ? parseInt(match[1], 10) : -1;
  }

  function nextIndex(body) {
    var max = -1;
    body.querySelectorAll("input[name^='milestones-']").forEach(function (input) {
      max = Math.max(max, rowIndex(input.name));
    });
    return max + 1;
  }

  function renumberLabels(body) {
    body.querySelectorAll("tr[data-milestone-row]").forEach(function (row, i) {
      row.querySelectorAll("label").forEach(function (label) {
        label.textContent = label.textContent.replace(/^Milestone \d+/, "Milestone " + (i + 1));
      });
      var remove = row.querySelector("button[data-remove-row]");
      if (remove) {
        remove.querySelector(".visually-hidden").textContent = " milestone " + (i + 1);
      }
    });
  }

  function addRemoveButton(row, body) {
    var cell = row.querySelector("[data-row-actions]");
    if (!cell || cell.querySelector("button")) {
      return;
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm btn-outline-danger";
    button.setAttribute("data-remove-row", "");
    button.appendChild(document.createTextNode("Remove"));
    var hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    button.appendChild(hidden);
    button.addEventListener("click", function () {
      var rows = body.querySelectorAll("tr[data-milestone-row]");
      var focusTarget = row.nextElementSibling || row.previousElementSibling;
      if (rows.length > 1) {
        row.remove();
      } else {
        row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
        focusTarget = row;
      }
      renumberLabels(body);
      var input = focusTarget && focusTarget.querySelector("input");
      if (input) {
        input.focus();
      }
    });
    cell.appendChild(button);
  }

  function cleanCopy(template, index) {
    var row = template.cloneNode(true);
    row.querySelectorAll(".invalid-feedback").forEach(function (el) { el.remove(); });
    row.querySelectorAll("[data-row-actions]").forEach(function (el) { el.textContent = ""; });
    row.querySelectorAll("input").forEach(function (input) {
      var field = input.name.replace(/^milestones-\d+-/, "");
      input.name = "milestones-" + index + "-" + field;
      input.id = input.name;
      input.value = "";
      input.classList.remove("is-invalid");
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
      var label = input.parentElement.querySelector("label");
      if (label) {
        label.htmlFor = input.id;
      }
    });
    return row;
  }

  function enhance(fieldset) {
    var body = fieldset.querySelector("[data-milestone-rows]");
    var add = fieldset.querySelector("[data-add-row]");
    if (!body || !add) {
      return;
    }
    body.querySelectorAll("tr[data-milestone-row]").forEach(function (row) {
      addRemoveButton(row, body);
    });
    renumberLabels(body);
    add.addEventListener("click", function (event) {
      var template = body.querySelector("tr[data-milestone-row]");
      if (!template) {
        return; // nothing to copy: let the button post the form for a new row
      }
      event.preventDefault();
      var row = cleanCopy(template, nextIndex(body));
      body.appendChild(row);
      addRemoveButton(row, body);
      renumberLabels(body);
      row.querySelector("input").focus();
    });
  }

  document.querySelectorAll("[data-milestones]").forEach(enhance);
})();
