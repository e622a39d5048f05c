// The ALTCHA widget (static/vendor/altcha, external build: no inline styles or blob workers, so the
// strict Content-Security-Policy holds). Registers the PBKDF2 worker served from this site and
// the page's language, then loads the widget. See portal/antibot.py.
(function () {
  var me = document.currentScript;
  var base = me.dataset.vendor;
  function start() {
    $altcha.algorithms.set("PBKDF2/SHA-256", function () { return new Worker(base + "pbkdf2-worker.js"); });
  }
  var widget = document.createElement("script");
  widget.type = "module";
  widget.src = base + "altcha.min.js";
  widget.addEventListener("load", function () {
    start();
    var lang = document.createElement("script");
    lang.type = "module";
    lang.src = base + "zh-cn.js";
    document.head.appendChild(lang);
  });
  document.head.appendChild(widget);
})();
