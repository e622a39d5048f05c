// A "check all" box: <input type="checkbox" data-check-all="case"> ticks every input named "case".
// Listens to "change", which keyboard (Space) and pointer both fire (no inline handler: CSP).
(function () {
  document.querySelectorAll("[data-check-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      document.querySelectorAll('input[name="' + box.dataset.checkAll + '"]').forEach(function (b) {
        b.checked = box.checked;
      });
    });
  });
})();
