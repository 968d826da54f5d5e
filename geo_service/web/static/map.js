/*
 * The map page's data: each visible layer's features are fetched from
 * /api/collections/{id}/items for the bounding box in view (paging with links.next up to the
 * layer's cap), whenever the view moves; stale requests are aborted. Styles, popups, labels,
 * clustering and heat come from the layer declarations (layers/*.toml) passed in #map-config.
 *
 * Everything a user typed is put on the page as text (textContent, DOM properties), never as
 * HTML.
 */
(function () {
  'use strict';

  var config = JSON.parse(document.getElementById('map-config').textContent);
  var objects = window.geoMapObjects;
  var map = objects.map;
  var words = config.words;
  var root = document.documentElement;
  var locale = config.lang === 'en' ? 'en' : 'zh-CN';
  var pending = 0;
  var timer = null;
  var errors = [];

  function has(object, key) {
    return object != null && Object.prototype.hasOwnProperty.call(object, key);
  }

  function element(tag, className) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    return node;
  }

  // -- styles (the same resolution as geo_service.layers.Layer.resolve_style) ------------------
  function valueKey(value) {
    if (value === true) return 'true';
    if (value === false) return 'false';
    if (value === null || value === undefined) return '';
    return String(value);
  }

  function resolveStyle(layer, props) {
    var style = Object.assign({}, layer.style);
    var sector = layer.sector ? Object.assign({}, layer.sector.style) : null;
    layer.rules.forEach(function (rule) {
      var value = props[rule.field];
      var extra = null;
      if (rule.breaks) {
        if (typeof value === 'number') {
          rule.breaks.forEach(function (step) { if (value >= step.min) extra = step.style; });
        }
      } else if (has(rule.values, valueKey(value))) {
        extra = rule.values[valueKey(value)];
      }
      if (!extra) return;
      Object.keys(extra).forEach(function (key) {
        if (key === 'sector') { if (sector) Object.assign(sector, extra.sector); }
        else style[key] = extra[key];
      });
    });
    if (sector) style.sector = sector;
    return style;
  }

  function isFocus(layer, props) {
    var focus = config.focus;
    return !!focus && focus.layer === layer.id && props[focus.field] === focus.value;
  }

  var HaloIcon = L.AwesomeMarkers.Icon.extend({
    createIcon: function (oldIcon) {
      var div = L.AwesomeMarkers.Icon.prototype.createIcon.call(this, oldIcon);
      if (this.options.halo) {
        div.style.filter = 'drop-shadow(0 0 3px ' + this.options.halo + ') drop-shadow(0 0 2px '
          + this.options.halo + ')';
        div.classList.add('has-halo');
      }
      return div;
    }
  });

  function markerIcon(style) {
    return new HaloIcon({
      icon: style.icon || 'circle', prefix: 'fa', markerColor: style.markerColor || 'blue',
      iconColor: style.iconColor || 'white', halo: style.halo || null
    });
  }

  // Lines and areas of a marker layer (a dark alley, a hazardous area) in the marker's colour.
  function markerPathStyle(style) {
    var opacity = style.opacity === undefined ? 1 : style.opacity;
    return {
      color: config.markerColors[style.markerColor] || '#38aadd', weight: 5,
      opacity: 0.9 * opacity, fillOpacity: 0.25 * opacity
    };
  }

  // -- popups -------------------------------------------------------------------------------
  function pad(n) { return String(n).padStart(2, '0'); }

  function formatDateTime(text) {
    var d = new Date(text);
    if (Number.isNaN(d.getTime())) return String(text);
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' '
      + pad(d.getHours()) + ':' + pad(d.getMinutes());
  }

  function formatValue(field, value) {
    if (value === null || value === undefined || value === '') return null;
    var key = valueKey(value);
    if (field.labels && has(field.labels, key)) return field.labels[key];
    switch (field.format) {
      case 'vocab': return has(config.vocab, key) ? config.vocab[key] : key;
      case 'boolean': return value ? words.map_yes : words.map_no;
      case 'integer': return typeof value === 'number' ? String(Math.round(value)) : key;
      case 'number':
        return typeof value === 'number'
          ? value.toLocaleString(locale, { maximumFractionDigits: 1 }) : key;
      case 'date': return key.slice(0, 10);
      case 'datetime': return formatDateTime(key);
      default: return key;
    }
  }

  function popupTitle(layer, feature) {
    var props = feature.properties || {};
    var name = layer.popup.title;
    if (name) {
      var spec = layer.popup.fields.find(function (f) { return f.field === name; }) || {
        field: name, labels: {},
        format: has(config.vocab, valueKey(props[name])) ? 'vocab' : 'text'
      };
      var shown = formatValue(spec, props[name]);
      if (shown) return shown;
    }
    return layer.title + ' #' + feature.id;
  }

  function fillLink(href, feature) {
    var props = feature.properties || {};
    return href.replace(/\{([a-z_][a-z0-9_]*)\}/g, function (_, name) {
      return encodeURIComponent(valueKey(name === 'id' ? feature.id : props[name]));
    });
  }

  function popupContent(layer, feature) {
    var props = feature.properties || {};
    var box = element('div', 'map-popup');
    var heading = element('h3');
    heading.textContent = popupTitle(layer, feature);
    box.appendChild(heading);
    var table = element('table');
    layer.popup.fields.forEach(function (field) {
      if (field.field === layer.popup.title) return;
      var shown = formatValue(field, props[field.field]);
      if (shown === null) return;
      var row = element('tr');
      var th = element('th');
      th.textContent = field.label;
      var td = element('td');
      td.textContent = shown;
      td.dataset.field = field.field;
      row.appendChild(th);
      row.appendChild(td);
      table.appendChild(row);
    });
    box.appendChild(table);
    if (layer.popup.links.length) {
      var links = element('p', 'popup-links');
      layer.popup.links.forEach(function (link) {
        var a = element('a');
        a.href = fillLink(link.href, feature);
        a.textContent = link.label;
        links.appendChild(a);
      });
      box.appendChild(links);
    }
    return box;
  }

  // -- features -----------------------------------------------------------------------------
  function paneFor(layer) {
    var name = 'layer-' + layer.id;
    if (!map.getPane(name)) map.createPane(name).style.zIndex = String(400 + layer.order);
    return name;
  }
  if (!map.getPane('map-labels')) map.createPane('map-labels').style.zIndex = '590';

  function labelMarker(text, latlng, focus) {
    var span = element('span');
    span.textContent = text;
    return L.marker(latlng, {
      icon: L.divIcon({ className: 'grid-label' + (focus ? ' is-focus' : ''), html: span,
                        iconSize: null }),
      interactive: false, keyboard: false, pane: 'map-labels'
    });
  }

  // -- patrol routes: direction arrows and numbered stops ------------------------------------
  // A walked route (a line feature with kind "route") gets small arrows in its colour every
  // ARROW_SPACING_M metres, turned the way it is walked; a stop (kind "stop") is a larger
  // circle, its number coming from the layer's label.
  var ARROW_SPACING_M = 90;

  function heading(a, b) {
    var rad = Math.PI / 180;
    var y = Math.sin((b.lng - a.lng) * rad) * Math.cos(b.lat * rad);
    var x = Math.cos(a.lat * rad) * Math.sin(b.lat * rad)
      - Math.sin(a.lat * rad) * Math.cos(b.lat * rad) * Math.cos((b.lng - a.lng) * rad);
    return Math.atan2(y, x) / rad;
  }

  function routeArrows(coords, color, pane) {
    var arrows = [];
    var since = ARROW_SPACING_M / 2;
    for (var i = 1; i < coords.length; i++) {
      var a = L.latLng(coords[i - 1][1], coords[i - 1][0]);
      var b = L.latLng(coords[i][1], coords[i][0]);
      var length = a.distanceTo(b);
      if (!(length > 0)) continue;
      var turn = heading(a, b) - 90;
      var next = ARROW_SPACING_M - since;
      while (next <= length) {
        var t = next / length;
        var glyph = element('span', 'route-arrow-glyph');
        glyph.textContent = '\u27a4';
        glyph.style.cssText = 'display:block;width:14px;height:14px;line-height:14px;'
          + 'text-align:center;font-size:13px;font-weight:700;'
          + 'text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff';
        glyph.style.color = color;
        glyph.style.transform = 'rotate(' + turn.toFixed(1) + 'deg)';
        arrows.push(L.marker([a.lat + t * (b.lat - a.lat), a.lng + t * (b.lng - a.lng)], {
          icon: L.divIcon({ className: 'route-arrow', html: glyph, iconSize: [14, 14],
                            iconAnchor: [7, 7] }),
          interactive: false, keyboard: false, pane: pane
        }));
        next += ARROW_SPACING_M;
      }
      since = length - (next - ARROW_SPACING_M);
    }
    return arrows;
  }

  function addFeature(rt, feature, sink) {
    var layer = rt.layer;
    var props = feature.properties || {};
    var geometry = feature.geometry;
    if (!geometry) return;
    var style = resolveStyle(layer, props);
    var focus = isFocus(layer, props);
    if (focus) Object.assign(style, { weight: 5, color: '#1a237e', opacity: 1 });
    var pane = rt.pane;
    var popup = function () { return popupContent(layer, feature); };
    var anchor = null;
    var handle = null;
    if (layer.sector && props[layer.sector.field]) {
      sink.paths.push(L.geoJSON(props[layer.sector.field], {
        pane: pane, interactive: false, style: function () { return style.sector; }
      }));
    }
    var point = geometry.type === 'Point';
    if (point) anchor = L.latLng(geometry.coordinates[1], geometry.coordinates[0]);
    if (point && layer.kind !== 'marker') {
      handle = L.circleMarker(anchor, Object.assign(
        { pane: pane, radius: props.kind === 'stop' ? 8 : 5 }, style));
      sink.paths.push(handle);
    } else if (!point) {
      var shapeStyle = layer.kind === 'marker' ? markerPathStyle(style) : style;
      handle = L.geoJSON(geometry, {
        pane: pane,
        style: function () { return shapeStyle; },
        pointToLayer: function (_, latlng) {
          return L.circleMarker(latlng, Object.assign({ pane: pane, radius: 5 }, shapeStyle));
        }
      });
      sink.paths.push(handle);
      anchor = handle.getBounds().getCenter();
      if (props.kind === 'route' && geometry.type === 'LineString') {
        Array.prototype.push.apply(sink.paths,
          routeArrows(geometry.coordinates, style.color || '#1565c0', pane));
      }
    }
    if (layer.kind === 'marker') {
      var marker = L.marker(anchor, {
        icon: markerIcon(style), opacity: style.opacity === undefined ? 1 : style.opacity,
        title: popupTitle(layer, feature), riseOnHover: true
      });
      marker.bindPopup(popup, { maxWidth: 300 });
      sink.markers.push(marker);
      if (handle) handle.bindPopup(popup, { maxWidth: 300 });
      handle = marker;
    } else {
      handle.bindPopup(popup, { maxWidth: 300 });
    }
    rt.byId.set(String(feature.id), handle);
    if (layer.heat) {
      var heat = layer.heat;
      var key = heat.field ? valueKey(props[heat.field]) : '';
      var weight = has(heat.weights, key) ? heat.weights[key] : heat.defaultWeight;
      sink.heat.push([anchor.lat, anchor.lng, weight]);
    }
    if (layer.label && props[layer.label.field] != null) {
      var at = props.label_point;
      var where = Array.isArray(at) ? L.latLng(at[1], at[0]) : anchor;
      sink.labels.push(labelMarker(String(props[layer.label.field]), where, focus));
    }
  }

  function clear(rt) {
    rt.paths.clearLayers();
    rt.markers.clearLayers();
    rt.labels.clearLayers();
    if (rt.heat) rt.heat.setLatLngs([]);
    rt.byId.clear();
    rt.count = 0;
    rt.matched = null;
  }

  function render(rt, features) {
    clear(rt);
    var sink = { paths: [], markers: [], heat: [], labels: [] };
    features.forEach(function (feature) { addFeature(rt, feature, sink); });
    sink.paths.forEach(function (item) { rt.paths.addLayer(item); });
    if (rt.markers.addLayers) rt.markers.addLayers(sink.markers);
    else sink.markers.forEach(function (item) { rt.markers.addLayer(item); });
    sink.labels.forEach(function (item) { rt.labels.addLayer(item); });
    if (rt.heat) rt.heat.setLatLngs(sink.heat);
    rt.count = features.length;
  }

  // -- fetching -----------------------------------------------------------------------------
  function clamp(value, low, high) { return Math.min(high, Math.max(low, value)); }

  // The view (padding 0) or the box fetched for it (a margin around, so small moves need nothing).
  function viewBox(padding) {
    var b = map.getBounds().pad(padding);
    return [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90),
            clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)]
      .map(function (v) { return Number(v.toFixed(6)); });
  }

  function contains(outer, inner) {
    return outer[0] <= inner[0] && outer[1] <= inner[1] && outer[2] >= inner[2]
      && outer[3] >= inner[3];
  }

  function fetchAll(layer, box, signal) {
    var features = [];
    var matched = null;
    var first = config.api + '/' + encodeURIComponent(layer.collection) + '/items?'
      + new URLSearchParams({ bbox: box.join(','),
                              limit: String(Math.min(config.pageSize, layer.maxFeatures)) });
    function step(url) {
      return fetch(url, { signal: signal, headers: { Accept: 'application/geo+json' },
                          credentials: 'same-origin' })
        .then(function (response) {
          if (!response.ok) throw new Error(layer.collection + ': HTTP ' + response.status);
          return response.json();
        })
        .then(function (page) {
          if (matched === null) matched = page.numberMatched;
          Array.prototype.push.apply(features, page.features || []);
          var next = (page.links || []).find(function (link) { return link.rel === 'next'; });
          if (next && features.length < layer.maxFeatures) return step(next.href);
          return { features: features.slice(0, layer.maxFeatures), matched: matched,
                   complete: !next };
        });
    }
    return step(first);
  }

  function isActive(rt) {
    return map.hasLayer(rt.group) || (!!rt.heat && map.hasLayer(rt.heat));
  }

  function abort(rt) {
    if (rt.controller) rt.controller.abort();
    rt.controller = null;
  }

  function updateLabels(rt) {
    if (!rt.layer.label) return;
    var show = map.getZoom() >= rt.layer.label.minZoom;
    if (show && !rt.group.hasLayer(rt.labels)) rt.group.addLayer(rt.labels);
    if (!show && rt.group.hasLayer(rt.labels)) rt.group.removeLayer(rt.labels);
  }

  function refresh(rt) {
    var layer = rt.layer;
    if (rt.tiles) { rt.tiles.refresh(); return; }  // drawn from vector tiles (map_tiles.js)
    if (!isActive(rt)) { abort(rt); rt.status = 'hidden'; showStatus(rt); return; }
    if (map.getZoom() < layer.minZoom) {
      abort(rt); clear(rt); rt.loaded = null; rt.status = 'zoom'; showStatus(rt); return;
    }
    updateLabels(rt);
    var view = viewBox(0);
    var box = viewBox(0.25);
    if (rt.loaded && rt.loaded.complete && contains(rt.loaded.box, view)) {
      abort(rt);  // a request still running is for a view left behind
      rt.status = 'ready'; showStatus(rt); return;
    }
    if (rt.controller && contains(rt.controller.box, view)) return;  // already on its way
    abort(rt);
    var controller = new AbortController();
    controller.box = box;
    rt.controller = controller;
    rt.status = 'loading';
    pending += 1;
    showStatus(rt);
    markBusy();
    fetchAll(layer, box, controller.signal)
      .then(function (result) {
        if (rt.controller !== controller) return;
        render(rt, result.features);
        rt.matched = result.matched;
        rt.loaded = { box: box, complete: result.complete };
        rt.status = 'ready';
      })
      .catch(function (error) {
        if (error.name === 'AbortError') return;
        rt.status = 'failed';
        errors.push(layer.id + ': ' + error.message);
        if (window.console) window.console.error(error);
      })
      .finally(function () {
        if (rt.controller === controller) rt.controller = null;
        pending -= 1;
        showStatus(rt);
        markBusy();
      });
  }

  function markBusy() {
    root.dataset.mapState = pending > 0 || timer !== null ? 'loading' : 'ready';
  }

  function refreshAll() {
    runtime.forEach(refresh);
    markBusy();
  }

  function schedule() {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(function () { timer = null; refreshAll(); }, 150);
    markBusy();
  }

  // -- legend -------------------------------------------------------------------------------
  var legend = document.getElementById('map-legend');
  var LegendControl = L.Control.extend({
    options: { position: 'bottomright' },
    onAdd: function () {
      L.DomEvent.disableClickPropagation(legend);
      L.DomEvent.disableScrollPropagation(legend);
      return legend;
    }
  });
  new LegendControl().addTo(map);
  if (window.matchMedia && window.matchMedia('(max-width: 576px)').matches) legend.open = false;

  // Show what was asked for (the community, or ?grid=N), beside the open legend.
  function fitView() {
    var size = map.getSize();
    if (size.x < 600) {  // a phone: the controls float over the map
      map.fitBounds(config.bounds, { padding: [8, 8], animate: false });
      return;
    }
    var right = legend.open && size.x > 2.5 * legend.offsetWidth ? legend.offsetWidth + 16 : 16;
    map.fitBounds(config.bounds, { paddingTopLeft: [56, 16], paddingBottomRight: [right, 16],
                                   animate: false });
  }
  fitView();

  function showStatus(rt) {
    var section = legend.querySelector('[data-layer="' + rt.layer.id + '"]');
    if (!section) return;
    var status = section.querySelector('.legend-status');
    var note = section.querySelector('.legend-note');
    var text = '';
    if (rt.status === 'zoom') text = words.map_zoom_in.replace('{zoom}', rt.layer.minZoom);
    else if (rt.status === 'loading') text = words.map_loading;
    else if (rt.status === 'failed') text = words.map_failed;
    else if (rt.status === 'ready' && rt.matched !== null && rt.matched > rt.count) {
      text = words.map_truncated.replace('{shown}', rt.count).replace('{matched}', rt.matched);
    }
    status.textContent = text;
    section.classList.toggle('is-off', !isActive(rt));
    section.dataset.count = String(rt.count);
    if (note) note.hidden = !(rt.status === 'ready' && rt.count === 0);
  }

  // -- start --------------------------------------------------------------------------------
  var runtime = config.layers.map(function (layer) {
    var found = objects.layers[layer.id];
    var rt = {
      layer: layer, group: found.group, heat: found.heat || null, pane: paneFor(layer),
      paths: L.featureGroup().addTo(found.group),
      markers: found.cluster || L.featureGroup().addTo(found.group),
      labels: L.featureGroup(), byId: new Map(), controller: null, loaded: null, count: 0,
      matched: null, status: 'idle'
    };
    if (layer.tiles && window.geoMapTiles) {
      rt.tiles = window.geoMapTiles(rt, {
        map: map, config: config, resolveStyle: resolveStyle, popupContent: popupContent,
        isFocus: isFocus, labelMarker: labelMarker, showStatus: function () { showStatus(rt); }
      });
    }
    return rt;
  });
  var byLayer = {};
  runtime.forEach(function (rt) { byLayer[rt.layer.id] = rt; });

  L.control.scale({ imperial: false, position: 'bottomleft' }).addTo(map);
  map.on('moveend', schedule);
  map.on('overlayadd overlayremove', function (event) {
    runtime.forEach(function (rt) {
      if (event.layer === rt.group || event.layer === rt.heat) refresh(rt);
    });
    markBusy();
  });

  // For people reading the page and for the browser tests.
  window.geoMap = {
    map: map,
    config: config,
    errors: errors,
    state: function () {
      var out = {};
      runtime.forEach(function (rt) {
        out[rt.layer.id] = { status: rt.status, count: rt.count, matched: rt.matched };
      });
      return out;
    },
    find: function (layerId, id) {
      var rt = byLayer[layerId];
      return rt ? rt.byId.get(String(id)) || null : null;
    },
    reveal: function (layerId, id) {
      var rt = byLayer[layerId];
      var item = this.find(layerId, id);
      return new Promise(function (resolve) {
        if (!item) { resolve(false); return; }
        if (rt.markers.zoomToShowLayer) rt.markers.zoomToShowLayer(item, function () {
          resolve(true);
        });
        else resolve(true);
      });
    }
  };

  refreshAll();
})();
