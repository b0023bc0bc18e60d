/* Kizuna survey widget: one script tag on your site, everything served by Kizuna.

     <script src="https://KIZUNA/s/widget.js" data-survey="KEY" data-delay="10" async></script>

   data-delay: seconds before it shows (default 5); data-event: show on this DOM event of
   window instead (e.g. data-event="checkout-done": window.dispatchEvent(new Event(...)));
   data-days: not shown again in this browser for so many days (default 30); data-lang: ja
   or en; data-hidden-NAME: a hidden field of the survey (data-hidden-touchpoint="shop-top").
   It opens the survey in an iframe from Kizuna (allowed in the workspace's survey settings),
   asks nothing of any third party and sets no cookie (one localStorage entry). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset || !script.dataset.survey) return;
  var d = script.dataset;
  var key = d.survey;
  var origin = new URL(script.src, window.location.href).origin;
  var days = parseFloat(d.days || "30");
  var memory = "kizuna-survey:" + key;
  var box = null;

  function recently() {
    try {
      var last = parseInt(window.localStorage.getItem(memory) || "0", 10);
      return last > 0 && Date.now() - last < days * 86400000;
    } catch (e) { return false; }
  }
  function remember() {
    try { window.localStorage.setItem(memory, String(Date.now())); } catch (e) { /* private mode */ }
  }
  function url() {
    var params = new URLSearchParams({ embed: "1", ch: "widget" });
    if (d.lang) params.set("lang", d.lang);
    Object.keys(d).forEach(function (name) {
      if (name.indexOf("hidden") === 0 && name.length > 6) {
        params.set(name.charAt(6).toLowerCase() + name.slice(7), d[name]);
      }
    });
    return origin + "/s/" + encodeURIComponent(key) + "?" + params.toString();
  }
  function close() {
    if (box && box.parentNode) box.parentNode.removeChild(box);
    box = null;
  }
  function show() {
    if (box || recently()) return;
    remember();
    box = document.createElement("div");
    box.id = "kizuna-survey-" + key;
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", d.label || (d.lang === "en" ? "Survey" : "アンケート"));
    var s = box.style;
    s.position = "fixed"; s.right = "8px"; s.bottom = "8px"; s.zIndex = "2147483000";
    s.width = "min(380px, calc(100vw - 16px))"; s.height = "min(560px, calc(100vh - 16px))";
    s.background = "#fff"; s.borderRadius = "12px"; s.overflow = "hidden";
    s.boxShadow = "0 8px 30px rgba(0,0,0,.25)";
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = "\u00d7";
    button.setAttribute("aria-label", d.lang === "en" ? "Close" : "閉じる");
    var b = button.style;
    b.position = "absolute"; b.top = "4px"; b.right = "4px"; b.width = "44px"; b.height = "44px";
    b.border = "0"; b.background = "transparent"; b.fontSize = "24px"; b.cursor = "pointer"; b.color = "#1f2328";
    button.addEventListener("click", close);
    var frame = document.createElement("iframe");
    frame.src = url();
    frame.title = d.label || (d.lang === "en" ? "Survey" : "アンケート");
    frame.style.border = "0"; frame.style.width = "100%"; frame.style.height = "100%";
    box.appendChild(frame);
    box.appendChild(button);
    document.body.appendChild(box);
    box.addEventListener("keydown", function (event) { if (event.key === "Escape") close(); });
  }
  window.addEventListener("message", function (event) {
    if (event.origin === origin && event.data && event.data.kizuna === "survey-done") {
      setTimeout(close, 4000);
    }
  });
  window.KizunaSurvey = window.KizunaSurvey || {};
  window.KizunaSurvey[key] = { show: show, close: close };
  if (d.event) {
    window.addEventListener(d.event, show);
  } else {
    setTimeout(show, Math.max(0, parseFloat(d.delay || "5")) * 1000);
  }
})();
