// Progressive enhancement only: after a code was sent, count down the 60 s before another send.
(function () {
  var button = document.getElementById("send-code");
  if (!button || !button.dataset.wait) { return; }
  var left = parseInt(button.dataset.wait, 10), label = button.textContent;
  var template = document.currentScript.dataset.template;
  button.disabled = true;
  var timer = setInterval(function () {
    left -= 1;
    if (left <= 0) { clearInterval(timer); button.disabled = false; button.textContent = label; return; }
    button.textContent = template.replace("__SECONDS__", left);
  }, 1000);
  button.textContent = template.replace("__SECONDS__", left);
})();
