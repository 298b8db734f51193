/* CityBrain basemap overlay (see layers/basemap.py): fits the region into each map's real size,
 * draws the name labels and the selected item's ring as HTML over the MapLibre canvas (MapLibre's
 * own text would need a glyph server; the browser draws Chinese and digits with local fonts).
 *
 * It reads layout.meta of every plotly map on the page: cb_fit [minLon, minLat, maxLon, maxLat] with
 * cb_fit_key and cb_view0 (the server's guessed [lon, lat, zoom]: a re-rendered figure that shows it
 * again is fitted again unless the user has moved the map), cb_labels [[lon, lat, text, rank, kind], ...], cb_sel {lon, lat, name}. One 500 ms timer
 * finds new maps; everything else follows MapLibre's move/resize events. Nothing is fetched.
 */
(function () {
  "use strict";
  var PAD = 18;        // pixels kept free around the fitted region
  var GAP = 3;         // pixels between two labels

  function mapOf(gd) {
    var fl = gd._fullLayout, sp = fl && fl.map && fl.map._subplot;
    return sp && sp.map ? sp.map : null;
  }

  function metaOf(gd) {
    return (gd.layout && gd.layout.meta && typeof gd.layout.meta === "object") ? gd.layout.meta : {};
  }

  function fit(gd, st, m, meta) {
    var b = meta.cb_fit;
    if (!b || b.length !== 4) return;
    if (!m.loaded()) {  // the map's first load sets its initial camera again: fit after it
      if (!st.waiting) {
        st.waiting = true;
        m.once("idle", function () { st.waiting = false; fit(gd, st, m, metaOf(gd)); });
      }
      return;
    }
    var c = m.getContainer();
    if (!c.clientWidth || !c.clientHeight) return;
    var pad = Math.min(PAD, c.clientWidth / 8, c.clientHeight / 8);
    var cam = m.cameraForBounds([[b[0], b[1]], [b[2], b[3]]], {padding: pad});
    if (!cam) return;
    st.fitSize = c.clientWidth + "x" + c.clientHeight;
    st.cam = {lon: cam.center.lng, lat: cam.center.lat, zoom: Math.round(cam.zoom * 100) / 100};
    show(gd, st, m);
  }

  /* Move the map to st.cam and record it in the figure the way plotly records a user's move (its
   * layout and full layout, then plotly_relayout, which Dash passes on as relayoutData). */
  function show(gd, st, m) {
    var cam = st.cam, fl = gd._fullLayout.map;
    m.jumpTo({center: [cam.lon, cam.lat], zoom: cam.zoom});
    fl._input.center = fl.center = {lon: cam.lon, lat: cam.lat};
    fl._input.zoom = fl.zoom = cam.zoom;
    gd.emit("plotly_relayout", {"map.center": {lon: cam.lon, lat: cam.lat}, "map.zoom": cam.zoom});
  }

  function build(st, meta) {
    var labels = meta.cb_labels || [];
    var sig = JSON.stringify(labels);
    if (sig === st.sig) return;
    st.sig = sig;
    st.layer.textContent = "";
    st.items = labels.map(function (l) {
      var el = document.createElement("div");
      el.className = "cb-map-label cb-map-label-" + l[4] + " cb-map-rank-" + l[3];
      el.textContent = l[2];
      st.layer.appendChild(el);
      return {lon: l[0], lat: l[1], rank: l[3], el: el, w: 0, h: 0};
    });
    st.items.sort(function (a, b) { return a.rank - b.rank; });
  }

  function place(st) {
    var m = st.map, c = m.getContainer(), W = c.clientWidth, H = c.clientHeight, taken = [];
    var sel = st.sel;
    if (sel) {
      var q = m.project([sel.lon, sel.lat]);
      st.ring.style.display = "block";
      var r = st.ring.offsetWidth / 2, lh = st.selLabel.offsetHeight / 2;
      st.ring.style.transform = "translate(" + (q.x - r) + "px," + (q.y - r) + "px)";
      st.selLabel.style.transform = "translate(" + (q.x + r + 4) + "px," + (q.y - lh) + "px)";
      taken.push([q.x - r, q.y - r, q.x + r + 4 + st.selLabel.offsetWidth, q.y + r]);
    } else {
      st.ring.style.display = "none";
    }
    st.items.forEach(function (it) {
      var p = m.project([it.lon, it.lat]);
      if (!it.w) { it.w = it.el.offsetWidth; it.h = it.el.offsetHeight; }
      var x = it.rank >= 2 ? p.x + 6 : p.x - it.w / 2, y = p.y - it.h / 2;
      var box = [x - GAP, y - GAP, x + it.w + GAP, y + it.h + GAP];
      var show = x >= 0 && y >= 0 && x + it.w <= W && y + it.h <= H && !taken.some(function (t) {
        return box[0] < t[2] && box[2] > t[0] && box[1] < t[3] && box[3] > t[1];
      });
      it.el.style.visibility = show ? "visible" : "hidden";
      if (show) {
        it.el.style.transform = "translate(" + x + "px," + y + "px)";
        taken.push(box);
      }
    });
  }

  /* The figure shows the server's guessed camera (meta.cb_view0), not the one fitted last. */
  function backToGuess(gd, st, meta) {
    var v = meta.cb_view0, lm = gd.layout.map || {}, c = lm.center || {};
    if (!v || typeof lm.zoom !== "number") return false;
    var near = function (a, b, e) { return Math.abs(a - b) < e; };
    var atGuess = near(lm.zoom, v[2], 0.005) && near(c.lon, v[0], 1e-6) && near(c.lat, v[1], 1e-6);
    var atFit = near(lm.zoom, st.cam.zoom, 0.005) && near(c.lon, st.cam.lon, 1e-6) && near(c.lat, st.cam.lat, 1e-6);
    return atGuess && !atFit;
  }

  function setup(gd) {
    var m = mapOf(gd);
    if (!m) return;
    var meta = metaOf(gd), st = gd.__cbBase;
    if (!st || st.map !== m) {
      st = gd.__cbBase = {map: m, items: [], sig: null, fitKey: null, moved: false};
      st.layer = document.createElement("div");
      st.layer.className = "cb-map-labels";
      st.ring = document.createElement("div");
      st.ring.className = "cb-map-selected";
      st.selLabel = document.createElement("div");
      st.selLabel.className = "cb-map-label cb-map-label-selected";
      var top = document.createElement("div");
      top.className = "cb-map-overlay";
      top.appendChild(st.layer);
      top.appendChild(st.ring);
      top.appendChild(st.selLabel);
      m.getContainer().appendChild(top);
      m.on("move", function () { place(st); });
      m.on("moveend", function (e) { if (e && e.originalEvent) st.moved = true; });
      m.on("wheel", function () { st.moved = true; });
      m.on("idle", function () {  // a late first render may put the initial camera back: fit again
        var lm = gd.layout.map || {};
        if (st.cam && !st.moved && Math.abs(lm.zoom - st.cam.zoom) < 0.005 &&
            Math.abs(m.getZoom() - st.cam.zoom) > 0.01) {
          show(gd, st, m);
        }
      });
      m.on("resize", function () {
        var c = m.getContainer();
        if (!st.moved && st.fitKey && st.fitSize !== c.clientWidth + "x" + c.clientHeight) fit(gd, st, m, metaOf(gd));
        place(st);
      });
    }
    build(st, meta);
    st.sel = meta.cb_sel && isFinite(meta.cb_sel.lon) ? meta.cb_sel : null;
    st.selLabel.textContent = st.sel ? (st.sel.name || "") : "";
    st.selLabel.style.display = st.sel ? "block" : "none";
    if (meta.cb_fit && meta.cb_fit_key) {
      if (meta.cb_fit_key !== st.fitKey) {
        st.fitKey = meta.cb_fit_key;
        st.moved = false;
        fit(gd, st, m, meta);
      } else if (!st.moved && st.cam && backToGuess(gd, st, meta)) {
        fit(gd, st, m, meta);  // a re-rendered figure put the server's first guess back
      }
    }
    place(st);
    gd.setAttribute("data-cb-basemap", st.fitKey ? "fitted" : "drawn");
  }

  function scan() {
    var plots = document.querySelectorAll(".js-plotly-plot");
    for (var i = 0; i < plots.length; i++) {
      var gd = plots[i];
      if (!gd._fullLayout || !gd._fullLayout.map) continue;
      if (!gd.__cbHooked && typeof gd.on === "function") {
        gd.__cbHooked = true;
        gd.on("plotly_afterplot", function () { setup(this); }.bind(gd));
      }
      if (!gd.__cbBase || gd.__cbBase.map !== mapOf(gd)) setup(gd);
    }
  }

  window.cbBasemap = {setup: setup, scan: scan};
  setInterval(scan, 500);
})();
