// Staff pages, progressive enhancement: label each table cell with its column's header, so that the rows read as
// lists at phone width (amparo.css stacks them; without this script they stack unlabelled).
(function () {
  "use strict";
  document.querySelectorAll("main table").forEach(function (table) {
    var headers = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    if (!headers.length) {
      return;
    }
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.prototype.forEach.call(row.children, function (cell, i) {
        if (!cell.hasAttribute("data-label") && headers[i] !== undefined) {
          cell.setAttribute("data-label", headers[i]);
        }
      });
    });
  });
})();

// A link to a folded section of a long page (…/#children) opens that section.
(function () {
  "use strict";
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    var section = target && target.closest("details");
    if (section) {
      section.open = true;
    }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
})();
