/* The case inbox from the keyboard (issue 11): j / k move between rows, x ticks the row's
   box for bulk assign, Enter or o opens the case. Kept out of the HTML so the
   Content-Security-Policy can forbid inline script; the inbox works without it. */
(function () {
  "use strict";
  var current = -1;
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-keyboard-list] [data-row]")); }
  function focus(index) {
    var list = rows();
    if (!list.length) { return; }
    current = Math.max(0, Math.min(index, list.length - 1));
    list.forEach(function (row, i) { row.classList.toggle("kb-current", i === current); });
    var link = list[current].querySelector("a");
    if (link) { link.focus(); }
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) { return; }
    if (event.metaKey || event.ctrlKey || event.altKey || !rows().length) { return; }
    var list = rows();
    if (event.key === "j") { focus(current + 1); event.preventDefault(); }
    else if (event.key === "k") { focus(current - 1); event.preventDefault(); }
    else if (event.key === "x" && current >= 0) {
      var box = list[current].querySelector("input[type=checkbox]");
      if (box) { box.checked = !box.checked; }
      event.preventDefault();
    } else if ((event.key === "o" || event.key === "Enter") && current >= 0 && target.tagName !== "A") {
      window.location.href = list[current].getAttribute("data-href");
      event.preventDefault();
    }
  });
})();
