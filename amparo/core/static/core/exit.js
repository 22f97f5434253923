/* Quick exit: replace this page in the history with a neutral site, so Back does not come back here.
   Progressive enhancement: without JavaScript the button is a plain link. */
(function () {
  "use strict";
  var button = document.getElementById("quick-exit");
  if (!button) { return; }
  function leave(event) {
    if (event) { event.preventDefault(); }
    document.body.style.display = "none";
    window.location.replace(button.href);
  }
  button.addEventListener("click", leave);
  var lastEscape = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var now = Date.now();
    if (now - lastEscape < 1000) { leave(event); }
    lastEscape = now;
  });
}());
