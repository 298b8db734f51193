/* Pages that follow pushed data without a reload (the cockpit, the domain pages, /map).
 *
 * A page that wants it carries data-live="page" or data-live="map" and data-live-version (the data
 * version it was drawn from). Every POLL_MS this asks /api/v1/wall/status (the wall's watchdog: the
 * served data version, nothing else) and, once the version moved:
 *  - "page": asks Dash Pages for the same page again (the layout is rebuilt from the new data; no
 *    page reload, no history entry), unless the reader is busy with it: a drill-down open, or the
 *    focus in a form field; then it waits for the next poll;
 *  - "map": sets the map's live store; its window callback moves "now" to the newest data while the
 *    map shows the present (not while a replay plays or the slider is back in time).
 * The wall has its own watchdog (wall.js). Hidden tabs do not poll. */
(function () {
  "use strict";
  var POLL_MS = 3000;
  var MIN_GAP_MS = 5000;   // at most one refresh per page every 5 s, however fast batches come
  var lastRefresh = 0;
  var pending = null;      // the version a refresh was asked for, until the page shows it

  function target() { return document.querySelector("[data-live]"); }

  function busy(el) {
    if (el.querySelector(".kpi-drill:not(.kpi-drill-closed)")) { return true; }
    var a = document.activeElement;
    return !!(a && el.contains(a) && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName) && a.type !== "checkbox" &&
              a.type !== "radio");
  }

  /* Ask Dash Pages for the page's layout again: the same path with ?v=<version>. The address is
   * replaced first and handed over whole (search and href), so dcc.Location adds no history entry:
   * Back still leaves the page. Shared with the wall (wall.js). */
  function redrawPage(version) {
    var q = new URLSearchParams(location.search);
    q.set("v", version);
    var search = "?" + q.toString();
    history.replaceState(history.state, "", location.pathname + search + location.hash);
    window.dash_clientside.set_props("_pages_location", {search: search, href: location.href});
  }

  function changed(el, version) {
    var now = Date.now();
    if (pending === version || now - lastRefresh < MIN_GAP_MS) { return; }
    var mode = el.getAttribute("data-live");
    if (mode === "map") {
      window.dash_clientside.set_props("map-live", {data: version});
      el.setAttribute("data-live-version", version);
    } else if (mode === "page") {
      if (busy(el)) { return; }
      pending = version;
      redrawPage(version);
    } else {
      return;
    }
    lastRefresh = now;
    window.cbLive.refreshes += 1;
  }

  function poll() {
    var el = target();
    if (!el || document.hidden || !window.dash_clientside || !window.dash_clientside.set_props) {
      return schedule();
    }
    fetch("/api/v1/wall/status", {cache: "no-store", credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) {
        var el2 = target();
        if (!j || !j.data_version || !el2) { return; }
        window.cbLive.version = j.data_version;
        var shown = el2.getAttribute("data-live-version");
        if (pending && shown === pending) { pending = null; }
        if (shown && shown !== j.data_version) { changed(el2, j.data_version); }
      })
      .catch(function () { /* offline for a moment: the next poll tries again */ })
      .then(schedule);
  }

  function schedule() { window.setTimeout(poll, POLL_MS); }

  window.cbLive = {refreshes: 0, version: null, redrawPage: redrawPage};
  schedule();
})();
