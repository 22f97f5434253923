/* Proof of work for the safe channel's forms (amparo/safechannel/proofofwork.py). Progressive enhancement:
   without JavaScript the forms still work, in their own lane. The form carries a challenge; this finds a counter
   such that SHA-256("<nonce>:<counter>") starts with <bits> zero bits, in a Web Worker (or in short slices when
   workers are unavailable) so the page stays usable, and sends the form with the solution in the action's query
   string, so the server can admit it before reading what she wrote or attached. Work starts when the page opens,
   so the solution is usually ready by the time she sends. Nothing is stored in the browser.
   SHA-256 is written out here (first word only) because the browser's crypto.subtle.digest answers each hash with a
   promise, far too slow for the tens of thousands of hashes a puzzle takes on a cheap phone, and is missing on
   plain-HTTP origins; no library is loaded from elsewhere (public pages load nothing from third parties). */
(function () {
  "use strict";
  var K = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
  ];
  var W = new Array(64);

  /* The first 32 bits of SHA-256 of a short ASCII text (one block: under 56 characters). */
  function firstWord(text) {
    var i, n = text.length, a, b, t1, t2;
    for (i = 0; i < 16; i++) { W[i] = 0; }
    for (i = 0; i < n; i++) { W[i >> 2] |= text.charCodeAt(i) << (24 - (i & 3) * 8); }
    W[n >> 2] |= 0x80 << (24 - (n & 3) * 8);
    W[15] = n * 8;
    for (i = 16; i < 64; i++) {
      a = W[i - 15];
      b = W[i - 2];
      W[i] = (W[i - 16] + (((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3)) + W[i - 7] +
        (((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10))) | 0;
    }
    var A = 0x6a09e667, B = 0xbb67ae85, C = 0x3c6ef372, D = 0xa54ff53a;
    var E = 0x510e527f, F = 0x9b05688c, G = 0x1f83d9ab, H = 0x5be0cd19;
    for (i = 0; i < 64; i++) {
      t1 = (H + (((E >>> 6) | (E << 26)) ^ ((E >>> 11) | (E << 21)) ^ ((E >>> 25) | (E << 7))) +
        ((E & F) ^ (~E & G)) + K[i] + W[i]) | 0;
      t2 = ((((A >>> 2) | (A << 30)) ^ ((A >>> 13) | (A << 19)) ^ ((A >>> 22) | (A << 10))) +
        ((A & B) ^ (A & C) ^ (B & C))) | 0;
      H = G; G = F; F = E; E = (D + t1) | 0; D = C; C = B; B = A; A = (t1 + t2) | 0;
    }
    return (0x6a09e667 + A) >>> 0;
  }

  function solved(nonce, counter, bits) {
    var h = firstWord(nonce + ":" + counter);
    return bits >= 32 ? h === 0 : (h >>> (32 - bits)) === 0;
  }

  /* Search [from, from + count) and return the counter, or -1. */
  function search(nonce, bits, from, count) {
    for (var c = from; c < from + count; c++) {
      if (solved(nonce, c, bits)) { return c; }
    }
    return -1;
  }

  if (typeof document === "undefined") { /* running as the Web Worker */
    self.onmessage = function (event) {
      var data = event.data, from = 0, found = -1;
      while (found < 0) { found = search(data.nonce, data.bits, from, 65536); from += 65536; }
      self.postMessage(String(found));
    };
    return;
  }

  var scriptUrl = document.currentScript && document.currentScript.src;

  function solve(nonce, bits, done) {
    if (window.Worker && scriptUrl) {
      try {
        var worker = new Worker(scriptUrl);
        worker.onmessage = function (event) { worker.terminate(); done(event.data); };
        worker.onerror = function (event) { event.preventDefault(); worker.terminate(); slices(nonce, bits, done); };
        worker.postMessage({nonce: nonce, bits: bits});
        return;
      } catch (e) { /* fall through to slices */ }
    }
    slices(nonce, bits, done);
  }

  function slices(nonce, bits, done) {
    var from = 0;
    (function slice() {
      var found = search(nonce, bits, from, 4000);
      if (found >= 0) { done(String(found)); return; }
      from += 4000;
      setTimeout(slice, 0);
    }());
  }

  function prepare(form) {
    var token = form.getAttribute("data-pow"), solution = null, waiting = false;
    var retry = parseInt(form.getAttribute("data-pow-retry") || "0", 10) || 0;
    var status = form.querySelector("[data-pow-status]");
    var button = form.querySelector("button[type=submit]");
    function send() {
      var action = (form.getAttribute("action") || "").split("?")[0];
      form.setAttribute(
        "action", action + "?pow=" + encodeURIComponent(token) + "&powc=" + solution + (retry ? "&powr=" + retry : "")
      );
      form.submit(); /* does not fire "submit" again */
    }
    solve(form.getAttribute("data-pow-nonce"), parseInt(form.getAttribute("data-pow-bits"), 10), function (c) {
      solution = c;
      if (waiting) { send(); }
    });
    function start() {
      if (waiting) { return; }
      waiting = true;
      if (button) { button.disabled = true; }
      if (solution !== null) { send(); return; }
      if (status) { status.hidden = false; }
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      start();
    });
    if (retry > 0) { start(); } /* the server numbers the automatic tries (powr) and stops after three */
  }

  var forms = document.querySelectorAll("form[data-pow]");
  for (var i = 0; i < forms.length; i++) { prepare(forms[i]); }
}());
