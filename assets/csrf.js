/* CSRF header of browser writes (citybrain.auth.csrf): every same-origin non-GET request made with
   fetch or XMLHttpRequest — Dash callbacks and page scripts alike — carries the session's token from
   the citybrain_csrf cookie in the X-CSRFToken header. Loaded before every other script of assets/. */
(function () {
  "use strict";
  var HEADER = "X-CSRFToken", SAFE = /^(GET|HEAD|OPTIONS)$/i;

  function token() {
    var m = document.cookie.match(/(?:^|;\s*)citybrain_csrf=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : null;
  }
  function sameOrigin(url) {
    try { return new URL(url, location.href).origin === location.origin; } catch (e) { return false; }
  }

  var origFetch = window.fetch && window.fetch.bind(window);
  if (origFetch) {
    window.fetch = function (input, init) {
      var method = (init && init.method) || (input && input.method) || "GET";
      var url = typeof input === "string" || input instanceof URL ? String(input) : input.url;
      var tok = token();
      if (tok && !SAFE.test(method) && sameOrigin(url)) {
        init = Object.assign({}, init || {});
        var h = new Headers(init.headers || (input instanceof Request ? input.headers : undefined));
        h.set(HEADER, tok);
        init.headers = h;
      }
      return origFetch(input, init);
    };
  }

  var open = XMLHttpRequest.prototype.open, send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) {
    this._cbWrite = !SAFE.test(method) && sameOrigin(url);
    return open.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function () {
    var tok = token();
    if (this._cbWrite && tok) { this.setRequestHeader(HEADER, tok); }
    return send.apply(this, arguments);
  };
})();
