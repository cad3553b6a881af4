// Sáu Rõ: searchable multiple choice with Tom Select (app/static/vendor/tom-select, served
// locally; no inline script: CSP). A <select multiple data-search> becomes a box one types
// into ("tu phap" finds "Sở Tư pháp": accents are ignored). With data-exclude-from="ID", the
// option chosen in the select #ID is not offered (the lead unit is never a coordinating unit;
// the server refuses it too).
(function () {
  "use strict";
  if (typeof TomSelect === "undefined") return;
  document.querySelectorAll("select[multiple][data-search]").forEach(function (el) {
    var ts = new TomSelect(el, {
      plugins: ["remove_button"],
      maxOptions: null,
      hidePlaceholder: true,
      placeholder: el.getAttribute("data-placeholder") || "",
      render: {
        no_results: function () {
          return '<div class="no-results">' + (el.getAttribute("data-no-results") || "—") + "</div>";
        }
      }
    });
    var otherId = el.getAttribute("data-exclude-from");
    var other = otherId ? document.getElementById(otherId) : null;
    if (!other) return;
    var all = {};
    Object.keys(ts.options).forEach(function (k) { all[k] = ts.options[k]; });
    function exclude() {
      Object.keys(all).forEach(function (k) {
        if (!ts.options[k]) ts.addOption(all[k]);
      });
      var lead = other.value;
      if (lead && ts.options[lead]) {
        ts.removeItem(lead, true);
        ts.removeOption(lead);
      }
      ts.refreshOptions(false);
    }
    other.addEventListener("change", exclude);
    exclude();
  });
})();
