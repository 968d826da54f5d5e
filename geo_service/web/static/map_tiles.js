/*
 * Vector tiles on the map page (/map?tiles=1): a layer whose config has `tiles` is drawn by
 * Leaflet.VectorGrid from /tiles/{layer}/{z}/{x}/{y}.pbf instead of GeoJSON by bounding box.
 * map.js calls window.geoMapTiles(rt, api) for such a layer; the styles, popups and labels are
 * map.js's own (api.resolveStyle, api.popupContent, api.labelMarker), so a feature looks the
 * same either way.
 *
 * <html data-tiles-state> is "loading" while any tile layer is fetching, else "ready".
 * window.geoMapTiles.layers[id] gives the browser tests what each layer has drawn.
 */
(function () {
  'use strict';

  var root = document.documentElement;
  var busy = new Set();

  function mark() { root.dataset.tilesState = busy.size > 0 ? 'loading' : 'ready'; }
  mark();

  function attach(rt, api) {
    var layer = rt.layer;
    var map = api.map;
    var label = layer.label;

    function styleFor(props) {
      var style = api.resolveStyle(layer, props);
      delete style.sector;
      if (api.isFocus(layer, props)) Object.assign(style, { weight: 5, color: '#1a237e', opacity: 1 });
      // VectorGrid fills only what is asked; a shape collapsed to a point is a small dot
      style.fill = layer.kind !== 'line';
      if (style.fillColor === undefined) style.fillColor = style.color;
      if (style.radius === undefined) style.radius = layer.kind === 'circle' ? 5 : 3;
      return style;
    }

    var styles = {};
    styles[layer.id] = function (props) { return styleFor(props); };
    var url = api.config.tiles.url.replace('{layer}', encodeURIComponent(layer.id));
    var grid = L.vectorGrid.protobuf(url, {
      pane: rt.pane,
      interactive: true,
      minZoom: layer.tiles.minZoom,
      maxZoom: map.getMaxZoom(),
      vectorTileLayerStyles: styles,
      // the feature id travels with its properties, for the popup's links
      getFeatureId: function (feature) { feature.properties.__id = feature.id; return feature.id; },
      fetchOptions: { credentials: 'same-origin' }
    });

    // Each drawn feature once: id -> properties, over the tiles now on the map.
    function drawn() {
      var out = new Map();
      Object.keys(grid._vectorTiles || {}).forEach(function (key) {
        var features = grid._vectorTiles[key]._features || {};
        Object.keys(features).forEach(function (id) {
          out.set(id, features[id].feature.properties);
        });
      });
      return out;
    }

    function showLabels(features) {
      rt.labels.clearLayers();
      if (!label || map.getZoom() < label.minZoom) return;
      features.forEach(function (props) {
        var text = props[label.field];
        if (text === null || text === undefined) return;
        var lat = props.label_point_lat;
        var lon = props.label_point_lon;
        if (typeof lat !== 'number' || typeof lon !== 'number') return;
        rt.labels.addLayer(api.labelMarker(String(text), L.latLng(lat, lon),
                                           api.isFocus(layer, props)));
      });
    }

    function settle() {
      var features = drawn();
      rt.count = features.size;
      rt.matched = null;
      showLabels(features);
      handle.refresh();
    }

    grid.on('loading', function () { busy.add(layer.id); mark(); handle.refresh(); });
    grid.on('load', function () { busy.delete(layer.id); mark(); settle(); });
    grid.on('remove', function () { busy.delete(layer.id); mark(); });
    grid.on('click', function (event) {
      var props = event.layer && event.layer.properties;
      if (!props) return;
      L.popup({ maxWidth: 300 }).setLatLng(event.latlng)
        .setContent(api.popupContent(layer, { id: props.__id, properties: props }))
        .openOn(map);
    });
    var handle = {
      grid: grid,
      drawn: drawn,
      refresh: function () {
        if (!map.hasLayer(rt.group)) rt.status = 'hidden';
        else if (map.getZoom() < layer.tiles.minZoom) { rt.status = 'zoom'; rt.count = 0; }
        else rt.status = busy.has(layer.id) ? 'loading' : 'ready';
        api.showStatus();
      },
      // the path drawn for a feature in a tile now on the map (for a click), or null
      element: function (id) {
        var keys = Object.keys(grid._vectorTiles || {});
        for (var i = 0; i < keys.length; i++) {
          var found = (grid._vectorTiles[keys[i]]._features || {})[String(id)];
          if (found && found.feature._path) return found.feature._path;
        }
        return null;
      }
    };
    attach.layers[layer.id] = handle;
    rt.group.addLayer(grid);
    if (label) rt.group.addLayer(rt.labels);
    return handle;
  }

  attach.layers = {};
  window.geoMapTiles = attach;
})();
