/* Tables become cards on a phone (≤ 480 px): every AG Grid of the product (citybrain/ui/grids.py,
   class cb-grid) is shown as one card per row — its first shown column as the title, the others as
   "name: value" lines — built from the grid's own rows (after its filter and sort), so a card shows
   exactly what the table holds. Selecting a card selects its row (the alarms page acknowledges the
   selected rows). Wider screens keep the grid. */
(function () {
  'use strict';
  var PHONE = window.matchMedia('(max-width: 480px)');
  var STEP = 60;

  function text(v) { return v === null || v === undefined || v === '' ? '—' : String(v); }

  function render(el, api) {
    var box = el.querySelector(':scope > .cb-cards');
    if (!PHONE.matches) {
      el.classList.remove('cb-grid-cards');
      if (box) { box.remove(); }
      return;
    }
    if (!box) {
      box = document.createElement('div');
      box.className = 'cb-cards';
      el.appendChild(box);
    }
    el.classList.add('cb-grid-cards');
    var limit = Number(box.dataset.limit || STEP);
    var cols = api.getAllDisplayedColumns();
    var selectable = !!api.getGridOption('rowSelection');
    var out = [];
    var n = 0;
    api.forEachNodeAfterFilterAndSort(function (node) {
      n += 1;
      if (n > limit || !node.data) { return; }
      var card = document.createElement('div');
      card.className = 'cb-card' + (node.isSelected() ? ' cb-card-selected' : '');
      cols.forEach(function (col, i) {
        var def = col.getColDef();
        var v = text(api.getCellValue({rowNode: node, colKey: col, useFormatter: true}));
        var line = document.createElement('div');
        if (i === 0) {
          line.className = 'cb-card-title';
          line.textContent = v;
        } else {
          line.className = 'cb-card-line';
          var k = document.createElement('span');
          k.className = 'cb-card-key';
          k.textContent = def.headerName || def.field || '';
          var val = document.createElement('span');
          val.className = 'cb-card-value';
          val.textContent = v;
          line.appendChild(k);
          line.appendChild(val);
        }
        card.appendChild(line);
      });
      if (selectable) {
        card.setAttribute('role', 'checkbox');
        card.setAttribute('aria-checked', node.isSelected() ? 'true' : 'false');
        card.tabIndex = 0;
        card.addEventListener('click', function () { node.setSelected(!node.isSelected()); });
      }
      out.push(card);
    });
    if (n > limit) {
      var more = document.createElement('button');
      more.className = 'cb-cards-more';
      more.type = 'button';
      more.textContent = (document.documentElement.lang || '').indexOf('en') === 0 || /[?&]lang=en/.test(location.search)
        ? (n - limit) + ' more rows — show more' : '另有 ' + (n - limit) + ' 行，显示更多';
      more.addEventListener('click', function () { box.dataset.limit = String(limit + STEP); render(el, api); });
      out.push(more);
    }
    if (!out.length) {
      var empty = document.createElement('p');
      empty.className = 'dash-empty';
      empty.textContent = '—';
      out.push(empty);
    }
    var html = out.map(function (c) { return c.outerHTML; }).join('');
    var sig = html.length + ':' + Array.prototype.reduce.call(html, function (h, ch) {
      return (h * 31 + ch.charCodeAt(0)) | 0; }, 7);
    if (sig === box.dataset.sig) { return; }  // nothing changed: leave the DOM alone
    box.dataset.sig = sig;
    box.replaceChildren.apply(box, out);
  }

  function attach(el) {
    if (el.dataset.cbCards || !el.id || !window.dash_ag_grid) { return; }
    el.dataset.cbCards = '1';
    window.dash_ag_grid.getApiAsync(el.id).then(function (api) {
      // re-render on the grid's data, filter, sort and selection only, once per frame: never on its
      // size or model refresh (hiding the grid resizes it, which must not start another render)
      var queued = false;
      var again = function () {
        if (queued) { return; }
        queued = true;
        window.requestAnimationFrame(function () { queued = false; render(el, api); });
      };
      ['rowDataUpdated', 'filterChanged', 'sortChanged', 'selectionChanged'].forEach(function (ev) {
        api.addEventListener(ev, again);
      });
      PHONE.addEventListener('change', again);
      again();
    }).catch(function () { delete el.dataset.cbCards; });
  }

  function scan() { document.querySelectorAll('.cb-grid[id]').forEach(attach); }
  new MutationObserver(scan).observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener('DOMContentLoaded', scan);
})();
