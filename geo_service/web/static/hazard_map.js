/* Small Leaflet maps of the hazard pages (report form, hazard page).
 *
 * The basemap is the configured one (OSM, Tianditu) or none: then a plain background on which
 * the grids (from /api/collections/grids/items, when the app has it) give the bearings.
 * Nothing here inserts HTML built from data: labels are DOM nodes filled with textContent.
 */
(function () {
  'use strict';

  function readConfig(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : {};
  }

  function boundsOf(config) {
    var b = config.bounds || [[27.514, 106.822], [27.526, 106.838]];
    return L.latLngBounds([b[0][0], b[0][1]], [b[1][0], b[1][1]]);
  }

  function loadGrids(map, config) {
    if (!config.gridsUrl || !window.fetch) { return; }
    var b = boundsOf(config);
    var url = config.gridsUrl + '?limit=1000&bbox=' +
      [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].join(',');
    fetch(url, { headers: { Accept: 'application/geo+json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.features) { return; }
        var layer = L.geoJSON(data, {
          interactive: false,
          style: function () {
            return { color: '#3949ab', weight: 1.5, opacity: 0.7, fillColor: '#c5cae9',
                     fillOpacity: 0.12, dashArray: '4 3' };
          },
          onEachFeature: function (feature, shape) {
            var n = feature.properties ? feature.properties.number : null;
            if (n === null || n === undefined) { return; }
            var span = document.createElement('span');
            span.textContent = String(n);
            shape.bindTooltip(span, { permanent: true, direction: 'center',
                                      className: 'hz-grid-label', interactive: false });
          }
        });
        layer.addTo(map);
        layer.bringToBack();
        map.getContainer().setAttribute('data-grids', String(data.features.length));
      })
      .catch(function () { /* the grids are a help, not a need */ });
  }

  function makeMap(id, config, options) {
    var el = document.getElementById(id);
    var map = L.map(el, Object.assign({ maxZoom: 19, zoomSnap: 0.5 }, options || {}));
    var base = config.basemap;
    if (base) {
      var tileOptions = { attribution: base.attribution, maxZoom: base.maxZoom || 19 };
      if (base.subdomains) { tileOptions.subdomains = base.subdomains; }
      L.tileLayer(base.url, tileOptions).addTo(map);
    } else {
      el.classList.add('hz-blank');
    }
    map.fitBounds(boundsOf(config));
    loadGrids(map, config);
    return map;
  }

  function pinIcon() {
    return L.divIcon({ className: 'hz-pin', html: '<span></span>', iconSize: [22, 22],
                       iconAnchor: [11, 28] });
  }

  document.documentElement.classList.add('hz-js');
  window.hzMap = { readConfig: readConfig, makeMap: makeMap, pinIcon: pinIcon };
})();
