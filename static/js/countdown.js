// Countdowns: data-expires is a Unix time in ms; the server re-checks every claim anyway.
(function () {
  function tick() {
    document.querySelectorAll("[data-expires]").forEach(function (el) {
      var left = Math.max(0, Math.round((Number(el.dataset.expires) - Date.now()) / 1000));
      el.textContent = left;
      if (left === 0 && el.dataset.disable) {
        document.querySelectorAll(el.dataset.disable).forEach(function (b) { b.disabled = true; });
      }
    });
  }
  tick();
  setInterval(tick, 1000);
})();
