/* One scale for what CSS rem cannot reach: plotly charts and AG Grid column widths.
 *
 * The page's type and spacing are in rem and the root font size follows the screen
 * (assets/citybrain.css: 16 px up to 1920x1080, 32 px at 3840x2160). Charts and grid columns are
 * sized in pixels of the 1920 design; this script multiplies them by the same factor,
 * root font size / 16 (never below 1: phones keep the design's pixels):
 *
 * - plotly: every Plotly.react / Plotly.newPlot (what dcc.Graph calls) draws a copy of the figure
 *   whose fonts, margins, heights, line widths and marker sizes are scaled (scaledFigure); the
 *   figure Dash holds is never changed, and a graph is drawn again when the scale changes.
 *   The wall (an element with data-canvas) scales its whole fixed canvas itself and is left alone.
 * - AG Grid: every grid of the page (class cb-grid, citybrain/ui/grids.py), as it appears and when
 *   its size or columns change, gets each column's width, minWidth and maxWidth (AG Grid's default
 *   width 200 where none is given) set to the design's value times the scale (scaleColumns).
 * Nothing is fetched.
 */
(function () {
  "use strict";

  function scale() {
    var px = parseFloat(window.getComputedStyle(document.documentElement).fontSize) || 16;
    var s = px / 16;
    return s > 1.01 ? Math.round(s * 1000) / 1000 : 1;
  }
  window.cbScale = scale;

  /* ---- plotly ---- */
  // numbers scaled wherever they appear under these keys (font sizes, line widths, marker sizes)
  var PLAIN = {size: 1, width: 1, ticklen: 1, tickwidth: 1, linewidth: 1, standoff: 1, borderwidth: 1,
               tracegroupgap: 1, itemwidth: 1, radius: 1, sizemin: 1, arrowwidth: 1, xshift: 1, yshift: 1};
  // ... and these only inside a margin or a padding
  var SIDES = {l: 1, r: 1, t: 1, b: 1, pad: 1};
  // data, not pixels (shared as they are)
  var SKIP = {source: 1, meta: 1, template: 1, customdata: 1, x: 1, y: 1, z: 1, r: 1, lon: 1, lat: 1,
              text: 1, hovertext: 1, ids: 1, geojson: 1, coordinates: 1, range: 1, tickvals: 1, ticktext: 1,
              domain: 1, center: 1, bounds: 1, selectedpoints: 1, xbins: 1, ybins: 1, values: 1, labels: 1};

  function scaleValue(v, s) {
    if (typeof v === "number") return v * s;
    if (Array.isArray(v) && v.length && v.every(function (x) { return typeof x === "number" || x === null; })) {
      return v.map(function (x) { return x === null ? x : x * s; });
    }
    return v;
  }

  // a copy of obj with its pixel numbers scaled (key: the key obj is found under)
  function scaleObj(obj, s, key) {
    if (Array.isArray(obj)) return obj.map(function (o) { return scaleObj(o, s, key); });
    if (!obj || typeof obj !== "object" || obj.bdata !== undefined) return obj;
    var sides = key === "margin" || key === "pad";
    var out = {};
    Object.keys(obj).forEach(function (k) {
      var v = obj[k];
      if (sides && SIDES[k]) out[k] = scaleValue(v, s);
      else if (SKIP[k]) out[k] = v;
      else if (PLAIN[k]) out[k] = scaleValue(v, s);
      else if (v && typeof v === "object") out[k] = scaleObj(v, s, k);
      else out[k] = v;
    });
    return out;
  }

  function scaledFigure(fig, s) {
    var layout = scaleObj(fig.layout || {}, s, "layout");
    if (typeof layout.height === "number") layout.height = layout.height * s;
    // plotly's own defaults where the figure sets none: hover labels 13 px, text 12 px
    var hover = layout.hoverlabel || {};
    layout.hoverlabel = Object.assign({}, hover, {font: Object.assign({size: 13 * s}, hover.font)});
    if (!layout.font || layout.font.size === undefined) layout.font = Object.assign({size: 12 * s}, layout.font);
    return {
      // a trace's own "width" (a bar's) is in data units: only its nested objects are scaled
      data: (fig.data || []).map(function (tr) {
        var out = scaleObj(tr, s, "trace");
        if (tr && tr.width !== undefined) out.width = tr.width;
        return out;
      }),
      layout: layout, config: fig.config, frames: fig.frames};
  }
  window.cbScaledFigure = scaledFigure;

  function onWall(gd) { return !!(gd && gd.closest && gd.closest("[data-canvas]")); }

  function asFigure(a, b, c) {
    if (a && !Array.isArray(a) && typeof a === "object" && (a.data || a.layout)) return a;
    return {data: a, layout: b, config: c};
  }

  function patch(P) {
    if (!P || P.__cbScale || typeof P.react !== "function") return;
    ["react", "newPlot"].forEach(function (name) {
      var orig = P[name];
      P[name] = function (gd, a, b, c) {
        var el = typeof gd === "string" ? document.getElementById(gd) : gd;
        var fig = asFigure(a, b, c);
        if (el && !onWall(el)) {
          el.__cbFig = fig;
          var s = scale();
          el.__cbScaleDrawn = s;
          if (s !== 1) return orig.call(P, el, scaledFigure(fig, s));
        }
        return orig.call(P, gd, a, b, c);
      };
    });
    P.__cbScale = true;
  }

  // plotly.js is loaded when the first graph renders; catch it as it lands on window
  if (window.Plotly) {
    patch(window.Plotly);
  } else {
    var current;
    Object.defineProperty(window, "Plotly", {
      configurable: true, enumerable: true,
      get: function () { return current; },
      set: function (v) { current = v; patch(v); }
    });
  }

  var timer = null;
  window.addEventListener("resize", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var s = scale();
      document.querySelectorAll(".js-plotly-plot").forEach(function (gd) {
        if (gd.__cbFig && gd.__cbScaleDrawn !== s && window.Plotly) window.Plotly.react(gd, gd.__cbFig);
      });
    }, 250);
  });

  /* ---- AG Grid ---- */
  var AG_DEFAULT_WIDTH = 200;

  function scaleColumns(params) {
    var api = params.api;
    if (!api || (api.isDestroyed && api.isDestroyed())) return;
    var s = scale(), changed = false;
    var defs = (api.getColumns() || []).map(function (col) {
      var d = col.getColDef();
      var base = (d.context && d.context.cbBase) || {
        width: d.flex ? undefined : (d.width || AG_DEFAULT_WIDTH), minWidth: d.minWidth, maxWidth: d.maxWidth};
      var out = Object.assign({}, d, {context: Object.assign({}, d.context, {cbBase: base})});
      ["width", "minWidth", "maxWidth"].forEach(function (k) {
        if (base[k] !== undefined) out[k] = Math.round(base[k] * s);
        if (out[k] !== d[k]) changed = true;
      });
      return out;
    });
    if (changed) api.setGridOption("columnDefs", defs);
  }
  window.cbScaleColumns = scaleColumns;

  // every grid, as it appears, and again when its size or columns change
  function watchGrids() {
    if (!window.dash_ag_grid || !window.dash_ag_grid.getApiAsync) return;
    document.querySelectorAll(".cb-grid[id]").forEach(function (el) {
      if (el.__cbGrid) return;
      el.__cbGrid = true;
      window.dash_ag_grid.getApiAsync(el.id).then(function (api) {
        var again = function () { scaleColumns({api: api}); };
        again();
        ["gridSizeChanged", "newColumnsLoaded", "firstDataRendered"].forEach(function (e) { api.addEventListener(e, again); });
        api.addEventListener("gridPreDestroyed", function () { el.__cbGrid = false; });
      }).catch(function () { el.__cbGrid = false; });
    });
  }
  new MutationObserver(watchGrids).observe(document.documentElement, {childList: true, subtree: true});
})();
