// The study page reports every minute that it is open (docs/rules.md §5.5); the server adds at
// most 2 minutes per report, so a page left open in the background counts no more than that.
(function () {
  var box = document.getElementById("study-heartbeat");
  if (!box) { return; }
  setInterval(function () {
    fetch(box.dataset.url, {method: "POST", headers: {"X-CSRFToken": box.dataset.csrf}, credentials: "same-origin"});
  }, 60000);
})();
