// Copy-to-clipboard for the one-time API token. The page works without it:
// the token is selectable text.
(function () {
  var button = document.getElementById("copy-secret");
  if (!button || !navigator.clipboard) return;
  var target = document.getElementById(button.getAttribute("data-copy"));
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(target.textContent.trim()).then(function () {
      button.textContent = button.getAttribute("data-done");
    });
  });
})();
