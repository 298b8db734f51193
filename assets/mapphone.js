/* The one-map on a phone (assets/map.css, ≤ 760 px): the layers panel opens from the map's layers
   button as a drawer, details and alerts sit in a bottom sheet that opens from its handle or when a
   place is clicked. Plain DOM classes on the page; no Dash callback. */
(function () {
  'use strict';
  function page() { return document.querySelector('.map-page'); }
  document.addEventListener('click', function (e) {
    var p = page();
    if (!p) { return; }
    if (e.target.closest('.map-layers-btn')) {
      p.classList.toggle('map-layers-open');
    } else if (e.target.closest('.map-sheet-handle')) {
      p.classList.toggle('map-sheet-open');
    } else if (p.classList.contains('map-layers-open') && !e.target.closest('.map-side')) {
      p.classList.remove('map-layers-open');
    }
    window.setTimeout(function () { window.dispatchEvent(new Event('resize')); }, 250);
  });
  // a click on a place fills the detail panel: open the sheet to show it
  new MutationObserver(function (records) {
    var p = page();
    if (!p || !window.matchMedia('(max-width: 760px)').matches) { return; }
    for (var i = 0; i < records.length; i += 1) {
      var t = records[i].target;
      if (t.nodeType === 1 && t.closest && t.closest('#map-detail') && t.querySelector && !t.querySelector('.map-empty')) {
        p.classList.add('map-sheet-open');
        return;
      }
    }
  }).observe(document.documentElement, {childList: true, subtree: true});
})();
