/* CityBrain wall mode (/wall): canvas scaling, playlist rotation, clock, connection watchdog,
 * and the clientside half of the panel refresh protocol (see dashboards/wall/callbacks.py).
 *
 * Dash serves this file from assets/ on every page; it does nothing unless the page holds
 * #wall-root. Memory stays flat for days: one 1 s timer for everything (created once), no list
 * that grows, steps are fixed containers whose visibility is toggled, and the only per-panel state
 * (the in-flight map) is keyed by the fixed set of panels.
 */
(function () {
  "use strict";
  var POLL_MS = 3000;          // status poll period while connected
  var POLL_RETRY_MS = 1000;    // after one failure, check again soon
  var POLL_TIMEOUT_MS = 2500;  // a status request slower than this counts as a failure
  var LOST_AFTER = 2;          // consecutive failures before "connection lost" is shown
  var INFLIGHT_MAX_MS = 60000; // a refresh unanswered this long is treated as lost (never blocks forever)
  var onWall = location.pathname.indexOf("/wall") === 0;

  var W = window.cbWall = {
    root: null, steps: [], dots: [], idx: 0, stepStart: Date.now(), lastInput: -1e15, idle: 30000,
    cw: 1920, ch: 1080, scale: 1, inflight: {}, lost: false, fails: 0, polling: false, nextPoll: 0,
    lastOk: null, version: null, build: null, token: null,
    requests: 0, acks: 0, skipped: 0, idleTicks: 0, advances: 0, reloads: 0, kicks: 1000000
  };
  if (onWall) {
    W.token = new URLSearchParams(location.search).get("token");
  }

  /* Crisp WebGL maps on a scaled canvas: MapLibre sizes its drawing buffer by devicePixelRatio,
   * so on the wall it reports the real ratio times the canvas scale (only ever >= the real one). */
  var realDpr = window.devicePixelRatio || 1;
  if (onWall) {
    try {
      Object.defineProperty(window, "devicePixelRatio", {
        configurable: true, get: function () { return realDpr * Math.max(1, Math.min(W.scale, 4)); }
      });
    } catch (e) { /* keep the real ratio */ }
    var m = /(?:^|[?&])canvas=(\d{3,5})[xX*](\d{3,5})/.exec(location.search);
    if (m) { W.cw = Math.round(+m[1] * 1080 / +m[2]); W.ch = 1080; }  // the design size (playlist.design_size)
    W.scale = Math.min(window.innerWidth / W.cw, window.innerHeight / W.ch);
  }

  var TZ = "Asia/Shanghai";
  var fmtTime = new Intl.DateTimeFormat("en-GB", {timeZone: TZ, hour: "2-digit", minute: "2-digit",
                                                  second: "2-digit", hour12: false});
  var fmtDate = new Intl.DateTimeFormat("en-CA", {timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit"});
  var fmtWeekZh = new Intl.DateTimeFormat("zh-CN", {timeZone: TZ, weekday: "long"});
  var fmtWeekEn = new Intl.DateTimeFormat("en-GB", {timeZone: TZ, weekday: "short"});

  function byId(id) { return document.getElementById(id); }
  function nu() { return window.dash_clientside.no_update; }

  function fit() {
    if (!W.root) { return; }
    var vw = window.innerWidth, vh = window.innerHeight;
    var s = Math.min(vw / W.cw, vh / W.ch);
    W.scale = s;
    var x = Math.max(0, (vw - W.cw * s) / 2), y = Math.max(0, (vh - W.ch * s) / 2);
    W.root.style.transform = "translate(" + x + "px," + y + "px) scale(" + s + ")";
  }

  function init(root) {
    /* a re-rendered wall (same playlist) keeps its place in the rotation: only a new playlist starts over */
    var was = W.root && W.steps[W.idx] ? W.steps[W.idx].getAttribute("data-step") : null;
    var since = W.stepStart;
    W.root = root;
    var c = (root.getAttribute("data-canvas") || "1920x1080").split("x");
    W.cw = +c[0] || 1920; W.ch = +c[1] || 1080;
    W.idle = (+root.getAttribute("data-idle") || 30) * 1000;
    W.steps = Array.prototype.slice.call(root.querySelectorAll(".wall-step"));
    W.dots = Array.prototype.slice.call(root.querySelectorAll(".wall-dot"));
    var keep = -1;
    for (var k = 0; was && k < W.steps.length; k++) {
      if (W.steps[k].getAttribute("data-step") === was) { keep = k; }
    }
    W.inflight = {};
    fit();
    show(keep >= 0 ? keep : 0, true);
    if (keep >= 0) { W.stepStart = since; }
  }

  function show(i, first) {
    var n = W.steps.length;
    if (!n) { return; }
    i = ((i % n) + n) % n;
    for (var k = 0; k < n; k++) {
      W.steps[k].classList.toggle("wall-step-active", k === i);
      if (W.dots[k]) { W.dots[k].classList.toggle("wall-dot-active", k === i); }
    }
    var title = byId("wall-step-title");
    if (title) { title.textContent = W.steps[i].getAttribute("data-title") || ""; }
    W.root.setAttribute("data-active-step", W.steps[i].getAttribute("data-step"));
    W.idx = i; W.stepStart = Date.now();
    if (!first) { W.advances++; }
  }

  W.show = function (i) { if (W.root) { show(i); } };  // for tests and an operator's console

  function clock(now) {
    var t = byId("wall-clock-time"), d = byId("wall-clock-date");
    if (t) { t.textContent = fmtTime.format(now); }
    if (d) {
      var zh = (W.root.getAttribute("data-lang") || "zh") === "zh";
      d.textContent = fmtDate.format(now) + " " + (zh ? fmtWeekZh.format(now) : fmtWeekEn.format(now));
    }
  }

  function setLost(lost) {
    if (W.lost === lost) { return; }
    W.lost = lost;
    W.root.classList.toggle("wall-is-lost", lost);
    var conn = byId("wall-conn");
    if (conn) {
      conn.textContent = (lost ? "✖ " + W.root.getAttribute("data-msg-lost")
                               : "● " + W.root.getAttribute("data-msg-online"));
      conn.className = "wall-conn " + (lost ? "wall-conn-lost" : "wall-conn-ok");
    }
    var since = byId("wall-lost-since");
    if (since) {
      since.textContent = lost && W.lastOk ? W.root.getAttribute("data-msg-since") + " " + fmtTime.format(W.lastOk) : "";
    }
  }

  function softReload() {
    /* Ask Dash Pages for the layout again (same path, one parameter changed): no page reload. */
    W.reloads++;
    if (window.dash_clientside && window.dash_clientside.set_props && window.cbLive) {
      window.cbLive.redrawPage(W.version || String(Date.now()));  // live.js: no history entry
    }
  }

  function statusOk(j) {
    var wasLost = W.lost;
    W.fails = 0; W.lastOk = new Date();
    if (W.build && j.build && j.build !== W.build) { location.reload(); return; }  // new code: new assets
    var changed = W.version && j.data_version && j.data_version !== W.version;
    W.version = j.data_version || W.version; W.build = j.build || W.build;
    if (wasLost) {
      W.inflight = {};
      setLost(false);
      if (changed) { softReload(); }
    } else if (changed) {
      kick();
    }
  }

  /* New data arrived (the store's data version moved): every panel asks for it now instead of on
   * its next timer tick (15-60 s), so a pushed batch is on the wall within one status poll. The
   * gate still keeps one request per panel in flight; unchanged panels answer no_update. */
  function kick() {
    if (!W.root || !window.dash_clientside || !window.dash_clientside.set_props) { return; }
    var panels = W.root.querySelectorAll(".wall-panel[id]");
    for (var i = 0; i < panels.length; i++) {
      var id;
      try { id = JSON.parse(panels[i].id); } catch (e) { continue; }
      if (!id || id.type !== "wall-panel") { continue; }
      window.dash_clientside.set_props({type: "wall-iv", panel: id.panel}, {n_intervals: ++W.kicks});
    }
  }

  function statusFail() {
    W.fails++;
    if (W.fails >= LOST_AFTER) { setLost(true); }
  }

  var origFetch = window.fetch.bind(window);

  function poll() {
    W.polling = true;
    var ctl = new AbortController();
    var timer = setTimeout(function () { ctl.abort(); }, POLL_TIMEOUT_MS);
    var headers = W.token ? {"X-Wall-Token": W.token} : {};
    origFetch("/api/v1/wall/status", {cache: "no-store", credentials: "same-origin", headers: headers,
                                      signal: ctl.signal})
      .then(function (r) { if (!r.ok) { throw new Error("status " + r.status); } return r.json(); })
      .then(statusOk, statusFail)
      .then(function () {
        clearTimeout(timer);
        W.polling = false;
        W.nextPoll = Date.now() + (W.fails && !W.lost ? POLL_RETRY_MS : POLL_MS);
      });
  }

  /* Dash's own requests: carry the wall token, and a failed callback triggers a status check now. */
  window.fetch = function (input, init) {
    var url = typeof input === "string" ? input : (input && input.url) || "";
    if (!onWall || url.indexOf("_dash-") < 0) { return origFetch(input, init); }
    if (W.token) {
      init = Object.assign({}, init || {});
      var h = new Headers(init.headers || {});
      h.set("X-Wall-Token", W.token);
      init.headers = h;
    }
    return origFetch(input, init).then(function (r) {
      if (r.status >= 500) { W.nextPoll = 0; }
      return r;
    }, function (e) { W.fails = Math.max(W.fails, LOST_AFTER - 1); W.nextPoll = 0; throw e; });
  };

  function tick() {
    var root = byId("wall-root");
    if (root !== W.root) {
      if (root) { init(root); } else { W.root = null; return; }
    }
    if (!W.root) { return; }
    var now = Date.now();
    clock(new Date(now));
    var paused = now - W.lastInput < W.idle;
    W.root.classList.toggle("wall-is-paused", paused);
    var step = W.steps[W.idx];
    if (step) {
      var dur = (+step.getAttribute("data-duration") || 30) * 1000;
      if (paused || document.visibilityState !== "visible") {
        W.stepStart = now;  // the step gets its full time again once the wall is left alone
      } else if (now - W.stepStart >= dur && W.steps.length > 1) {
        show(W.idx + 1);
      }
      var bar = byId("wall-progress-bar");
      if (bar) { bar.style.width = Math.min(100, (now - W.stepStart) / dur * 100).toFixed(1) + "%"; }
    }
    if (!W.polling && now >= W.nextPoll) { poll(); }
    unacked(now);
  }

  /* Unacknowledged alarms (the ticker's marker, dashboards/wall/alerts.py): a flashing border and a
   * header badge while any is unacknowledged; with ?sound=1 a short tone made by WebAudio (no audio
   * file) when the count rises and once a minute while it stays. The wall cannot acknowledge. */
  W.unacked = 0; W.lastTone = 0;
  W.sound = onWall && /(?:^|[?&])sound=1(?:&|$)/.test(location.search);
  function tone() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) { return; }
      W.audio = W.audio || new Ctx();
      var ctx = W.audio, t0 = ctx.currentTime;
      if (ctx.state === "suspended" && ctx.resume) { ctx.resume(); }
      [0, 0.28].forEach(function (d) {
        var o = ctx.createOscillator(), g = ctx.createGain();
        o.type = "sine"; o.frequency.value = 880;
        g.gain.setValueAtTime(0.0001, t0 + d);
        g.gain.exponentialRampToValueAtTime(0.3, t0 + d + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, t0 + d + 0.22);
        o.connect(g); g.connect(ctx.destination);
        o.start(t0 + d); o.stop(t0 + d + 0.25);
      });
      W.tones = (W.tones || 0) + 1;
    } catch (e) { /* no sound is better than a broken wall */ }
  }
  function unacked(now) {
    var mark = W.root.querySelector(".wall-unacked-mark");
    var n = mark ? (+mark.getAttribute("data-unacked") || 0) : 0;
    W.root.classList.toggle("wall-unacked", n > 0);
    var badge = byId("wall-unacked");
    if (badge && badge.textContent !== (mark && n ? mark.textContent : "")) {
      badge.textContent = mark && n ? mark.textContent : "";
    }
    if (W.sound && n > 0 && (n > W.unacked || now - W.lastTone >= 60000)) {
      W.lastTone = now;
      tone();
    }
    W.unacked = n;
  }

  if (onWall) {
    setInterval(tick, 1000);
    window.addEventListener("resize", fit);
    /* fit the canvas as soon as Dash renders it, not on the next clock tick (no unscaled flash) */
    new MutationObserver(function () {
      var root = byId("wall-root");
      if (root && root !== W.root) { init(root); }
    }).observe(document.documentElement, {childList: true, subtree: true});
    ["mousemove", "mousedown", "touchstart", "wheel", "keydown"].forEach(function (ev) {
      document.addEventListener(ev, function (e) {
        if (!W.root) { return; }
        W.lastInput = Date.now();
        if (ev === "keydown" && (e.key === "ArrowRight" || e.key === "PageDown")) { show(W.idx + 1); }
        if (ev === "keydown" && (e.key === "ArrowLeft" || e.key === "PageUp")) { show(W.idx - 1); }
      }, {passive: true});
    });
    document.addEventListener("visibilitychange", function () {
      if (W.root && window.dash_clientside && window.dash_clientside.set_props) {
        window.dash_clientside.set_props("wall-visible", {data: document.visibilityState});
      }
    });
  }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.cbwall = {
    /* A panel's timer ticked: send one refresh unless hidden, offline or one is still in flight. */
    gate: function (n, id) {
      if (W.lost || document.visibilityState !== "visible") { W.idleTicks++; return nu(); }
      var k = id.panel, t0 = W.inflight[k], now = Date.now();
      if (t0 && now - t0 < INFLIGHT_MAX_MS) { W.skipped++; return nu(); }
      W.inflight[k] = now; W.requests++;
      return n;
    },
    /* The server answered a panel's refresh: it may send the next one. */
    ack: function (v, id) {
      delete W.inflight[id.panel]; W.acks++;
      return nu();
    },
    /* The tab was hidden or shown: disable or enable every panel timer. */
    visibility: function (state) {
      var outs = window.dash_clientside.callback_context.outputs_list || [];
      var off = state !== "visible", res = [];
      for (var i = 0; i < outs.length; i++) { res.push(off); }
      return res;
    }
  };
})();
