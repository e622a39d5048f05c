// Buttons with data-print print the page (no inline handlers under the Content-Security-Policy).
document.querySelectorAll("[data-print]").forEach(function (b) {
  b.addEventListener("click", function () { window.print(); });
});
