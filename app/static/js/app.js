// Sáu Rõ: process steps in the task form (add, remove, reorder), no inline script (CSP).
(function () {
  "use strict";
  // Only the task form has both; the task page's "#steps" is a heading (link target).
  var list = document.getElementById("steps");
  var addStep = document.getElementById("add-step");
  if (!list || !addStep) return;

  function renumber() {
    var rows = list.querySelectorAll(".step-row");
    rows.forEach(function (row, i) {
      row.querySelectorAll("input, select, textarea, label").forEach(function (el) {
        ["name", "id", "for"].forEach(function (attr) {
          var v = el.getAttribute(attr);
          if (v) el.setAttribute(attr, v.replace(/steps-\d+-/, "steps-" + i + "-"));
        });
      });
      var no = row.querySelector(".step-no");
      if (no) no.textContent = String(i + 1);
    });
  }

  list.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button");
    if (!btn) return;
    var row = btn.closest(".step-row");
    if (btn.classList.contains("step-up") && row.previousElementSibling) {
      list.insertBefore(row, row.previousElementSibling);
    } else if (btn.classList.contains("step-down") && row.nextElementSibling) {
      list.insertBefore(row.nextElementSibling, row);
    } else if (btn.classList.contains("step-remove")) {
      if (list.querySelectorAll(".step-row").length > 1) {
        row.remove();
      } else {
        row.querySelectorAll("input").forEach(function (el) { el.value = ""; });
      }
    } else {
      return;
    }
    renumber();
  });

  addStep.addEventListener("click", function () {
    var rows = list.querySelectorAll(".step-row");
    if (rows.length >= 30) return;
    var clone = rows[rows.length - 1].cloneNode(true);
    clone.querySelectorAll("input").forEach(function (el) { el.value = ""; el.classList.remove("is-invalid"); });
    clone.querySelectorAll(".invalid-feedback").forEach(function (el) { el.remove(); });
    list.appendChild(clone);
    renumber();
    var title = clone.querySelector("input[name$='-title']");
    if (title) title.focus();
  });
})();

// The task form: when a field is chosen, name the deputies in charge of it beside the field,
// each with a button that makes her the accountable leader. Nothing is chosen for the user.
(function () {
  "use strict";
  var hint = document.getElementById("leader-hint");
  var fieldSel = document.getElementById("field_id");
  var leaderSel = document.getElementById("leader_id");
  if (!hint || !fieldSel || !leaderSel) return;
  var hints = {};
  try { hints = JSON.parse(hint.getAttribute("data-hints") || "{}"); } catch (e) { return; }

  function show() {
    var list = hints[fieldSel.value] || [];
    hint.textContent = "";
    if (!list.length) { hint.hidden = true; return; }
    hint.appendChild(document.createTextNode(hint.getAttribute("data-label") + " "));
    list.forEach(function (p, i) {
      if (i) hint.appendChild(document.createTextNode(", "));
      var name = document.createElement("strong");
      name.textContent = p[1];
      hint.appendChild(name);
      if (String(leaderSel.value) !== String(p[0])) {
        var btn = document.createElement("button");
        btn.type = "button";
        btn.className = "btn btn-link btn-sm py-0 leader-suggest";
        btn.setAttribute("data-leader", p[0]);
        btn.textContent = hint.getAttribute("data-use");
        hint.appendChild(document.createTextNode(" "));
        hint.appendChild(btn);
      }
    });
    hint.hidden = false;
  }

  hint.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button.leader-suggest");
    if (!btn) return;
    leaderSel.value = btn.getAttribute("data-leader");
    leaderSel.dispatchEvent(new Event("change"));
    show();
  });
  fieldSel.addEventListener("change", show);
  leaderSel.addEventListener("change", show);
  show();
})();

