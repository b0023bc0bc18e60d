/* The answering page's one script (the page works without it): save answers as the
   respondent goes, so a closed tab leaves a partial response, and tell a parent page
   (the widget) when the survey is done. No other request, no third party. */
(function () {
  "use strict";
  var done = document.querySelector("[data-survey-done]");
  if (done) {
    var heading = document.getElementById("done");
    if (heading) heading.focus();
    if (window.parent !== window) {
      window.parent.postMessage({ kizuna: "survey-done" }, "*");
    }
    return;
  }
  var summary = document.getElementById("errors");
  if (summary) summary.focus();
  var form = document.querySelector("form.kz-survey");
  if (!form || !window.fetch) return;
  var saved = form.querySelector(".saved");
  var dirty = false;
  var timer = null;

  function body() {
    var data = new URLSearchParams(new FormData(form));
    data.set("save", "1");
    return data;
  }
  function save() {
    timer = null;
    if (!dirty) return;
    dirty = false;
    fetch(form.action, {
      method: "POST",
      body: body(),
      headers: { Accept: "application/json" },
      credentials: "omit",
      keepalive: true
    }).then(function (answer) {
      if (answer.ok && saved) saved.textContent = saved.getAttribute("data-saved-text");
    }).catch(function () { dirty = true; });
  }
  function later(wait) {
    dirty = true;
    if (saved) saved.textContent = "";
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, wait);
  }
  form.addEventListener("change", function () { later(300); });
  form.addEventListener("input", function (event) {
    if (event.target && event.target.tagName === "TEXTAREA") later(1500);
  });
  form.addEventListener("submit", function () { dirty = false; if (timer) clearTimeout(timer); });
  window.addEventListener("pagehide", function () {
    if (dirty && navigator.sendBeacon) {
      navigator.sendBeacon(form.action, body());
      dirty = false;
    }
  });
})();
