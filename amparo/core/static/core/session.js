// Keeps a half-written staff form safe when the session runs out (issue 13, item 4). Progressive enhancement:
// without JavaScript the forms work as before.
// - Shortly before the session would end without activity, a notice offers "stay signed in" (a GET that extends it).
// - Once the warning time has come, before a form is sent the page asks the server whether the session is still
//   open (earlier it goes at once, as without this script). If it is not, the form is
//   not sent (so she does not land on the sign-in page and lose it): the page says so and offers the sign-in in
//   another window. What she typed stays only in this page; nothing is stored anywhere.
// - When she comes back to this window signed in, the page takes the new CSRF token and she sends the form again.
(function () {
  "use strict";
  var box = document.getElementById("session-keeper");
  if (!box || !window.fetch) { return; }
  var seconds = parseInt(box.getAttribute("data-seconds"), 10) || 1800;
  var url = box.getAttribute("data-url");
  var warnBefore = Math.min(300, seconds / 2) * 1000;
  var last = Date.now();
  var timer = null;
  var ended = false;

  function part(name) { return box.querySelector("[data-part=" + name + "]"); }
  function show(name) {
    ["warn", "ended", "back"].forEach(function (n) { part(n).hidden = n !== name; });
    box.hidden = !name;
    // The notice is fixed at the bottom of the window: leave room so that it never covers the form's buttons.
    document.body.style.paddingBottom = name ? box.offsetHeight + 16 + "px" : "";
  }
  function schedule() {
    if (timer) { clearTimeout(timer); }
    // Only a notice: the page never extends the session by itself (an unattended screen must still sign out).
    timer = setTimeout(function () { if (!ended) { show("warn"); } },
      Math.max(0, seconds * 1000 - warnBefore - (Date.now() - last)));
  }
  function check() {
    return fetch(url, { credentials: "same-origin", redirect: "manual", headers: { Accept: "application/json" } })
      .then(function (r) { return r.status === 200 ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.signed_in) { return false; }
        document.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(function (i) { i.value = data.csrf; });
        last = Date.now();
        schedule();
        return true;
      })
      .catch(function () { return false; });
  }

  box.querySelector("[data-action=stay]").addEventListener("click", function () {
    check().then(function (ok) { if (ok) { show(""); } else { ended = true; show("ended"); } });
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || (form.method || "").toLowerCase() !== "post") { return; }
    if (!form.querySelector("input[name=csrfmiddlewaretoken]") || /\/logout\/$/.test(form.action)) { return; }
    if (form.getAttribute("data-session-checked") === "1") { return; }
    // Well inside the session (before the warning), the form goes at once, as without this script.
    if (!ended && Date.now() - last < seconds * 1000 - warnBefore) { return; }
    event.preventDefault();
    var submitter = event.submitter || null;
    check().then(function (ok) {
      if (ok) {
        form.setAttribute("data-session-checked", "1");
        if (form.requestSubmit) { form.requestSubmit(submitter); } else { form.submit(); }
      } else {
        ended = true;
        show("ended");
        box.scrollIntoView({ block: "nearest" });
      }
    });
  }, true);
  function back() {
    if (!ended || document.visibilityState === "hidden") { return; }
    check().then(function (ok) { if (ok) { ended = false; show("back"); } });
  }
  window.addEventListener("focus", back);
  document.addEventListener("visibilitychange", back);
  schedule();
})();
