/* Behaviour every page shares, kept out of the HTML so the Content-Security-Policy can
   forbid inline script: confirmation before a destructive submit (data-confirm), removing
   one row of a repeating form (data-remove-row="selector of the row"), offering the named
   values of a coded segment field (datalist "values-<field>"), and closing the top bar's
   drop-down menus (<details>) on a click elsewhere or Escape. Pages work without it. */
(function () {
  "use strict";
  var MENUS = "details.admin-menu[open], details.workspace-menu[open]";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
  document.addEventListener("click", function (event) {
    var target = event.target;
    document.querySelectorAll(MENUS).forEach(function (menu) {
      if (!menu.contains(target)) { menu.removeAttribute("open"); }
    });
    var button = target.closest && target.closest("[data-remove-row]");
    if (!button) { return; }
    var row = button.closest(button.getAttribute("data-remove-row"));
    var box = button.closest("[hx-trigger]");
    if (row) { row.remove(); }
    if (box && window.htmx) { window.htmx.trigger(box, "change"); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    document.querySelectorAll(MENUS).forEach(function (menu) { menu.removeAttribute("open"); });
  });
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches(".condition-row select[name=field]")) { return; }
    var input = select.parentNode.querySelector("input[name=value]");
    if (!input) { return; }
    if (document.getElementById("values-" + select.value)) {
      input.setAttribute("list", "values-" + select.value);
    } else {
      input.removeAttribute("list");
    }
  });
})();
