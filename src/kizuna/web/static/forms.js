/* Behaviour every page's forms share, kept out of the HTML so the Content-Security-Policy
   can forbid inline script: confirmation before a destructive submit (data-confirm) and
   removing one row of a repeating form (data-remove-row="selector of the row"). */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-remove-row]");
    if (!button) { return; }
    var row = button.closest(button.getAttribute("data-remove-row"));
    var box = button.closest("[hx-trigger]");
    if (row) { row.remove(); }
    if (box && window.htmx) { window.htmx.trigger(box, "change"); }
  });
})();
