/* /hazards/new: pick the spot (tap, my location, or a drawn line / area), then send the form to
 * POST /api/hazards as multipart with an Idempotency-Key made once per form. The key is kept
 * across retries, so a phone that resends after a dropped answer stores one hazard. A 409
 * likely_duplicate answer becomes a prompt listing the candidates and a "report anyway" button.
 * All text from the server or the user is inserted with textContent.
 */
(function () {
  'use strict';

  var config = hzMap.readConfig('hz-config');
  var W = config.words || {};
  var form = document.getElementById('hz-form');
  var keyInput = document.getElementById('hz-key');
  var latInput = document.getElementById('hz-lat');
  var lonInput = document.getElementById('hz-lon');
  var geomInput = document.getElementById('hz-geometry');
  var whereStatus = document.getElementById('hz-where-status');
  var status = document.getElementById('hz-status');
  var submit = document.getElementById('hz-submit');
  var dupBox = document.getElementById('hz-duplicates');
  var dupList = document.getElementById('hz-duplicate-list');
  var anyway = document.getElementById('hz-anyway');
  var photoInput = document.getElementById('hz-photo');
  var finishBtn = document.getElementById('hz-finish');
  var undoBtn = document.getElementById('hz-undo');

  function word(key, params) {
    var text = W[key] || key;
    Object.keys(params || {}).forEach(function (name) {
      text = text.split('{' + name + '}').join(String(params[name]));
    });
    return text;
  }

  // -- the idempotency key: one per form, kept across retries --------------------------------
  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === 'function') {
      return window.crypto.randomUUID();
    }
    // crypto.randomUUID needs a secure context; plain-HTTP phones still have getRandomValues
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); });
    return h.slice(0, 4).join('') + '-' + h.slice(4, 6).join('') + '-' + h.slice(6, 8).join('') +
      '-' + h.slice(8, 10).join('') + '-' + h.slice(10).join('');
  }
  keyInput.value = newKey();
  var stored = false;
  window.addEventListener('pageshow', function (event) {
    // back from the new hazard's page: this is a new form, so a new key
    if (event.persisted && stored) { keyInput.value = newKey(); stored = false; }
  });

  // -- the map ------------------------------------------------------------------------------
  var map = hzMap.makeMap('hz-map', config, {});
  var mode = 'point';
  var marker = null;
  var vertices = [];
  var sketch = null;
  var vertexMarkers = L.layerGroup().addTo(map);

  function fmt(x) { return (Math.round(x * 1e7) / 1e7).toFixed(7); }

  function setWhere(text) { whereStatus.textContent = text; }

  function clearShape() {
    vertices = [];
    vertexMarkers.clearLayers();
    if (sketch) { map.removeLayer(sketch); sketch = null; }
    geomInput.value = '';
  }

  function clearAll() {
    clearShape();
    if (marker) { map.removeLayer(marker); marker = null; }
    latInput.value = '';
    lonInput.value = '';
    setWhere('');
  }

  function setPoint(latlng, pan) {
    clearShape();
    if (!marker) {
      marker = L.marker(latlng, { icon: hzMap.pinIcon(), draggable: true, keyboard: false })
        .addTo(map);
      marker.on('dragend', function () { setPoint(marker.getLatLng(), false); });
    } else {
      marker.setLatLng(latlng);
    }
    latInput.value = fmt(latlng.lat);
    lonInput.value = fmt(latlng.lng);
    latInput.classList.remove('is-invalid');
    lonInput.classList.remove('is-invalid');
    setWhere(W.hn_picked_point + ' (' + fmt(latlng.lat) + ', ' + fmt(latlng.lng) + ')');
    if (pan) { map.panTo(latlng); }
  }

  function drawSketch() {
    if (sketch) { map.removeLayer(sketch); sketch = null; }
    var style = { color: '#d63384', weight: 5, opacity: 0.9, fillOpacity: 0.2,
                  interactive: false };
    if (vertices.length >= 2) {
      sketch = (mode === 'area' && vertices.length >= 3 ? L.polygon : L.polyline)(
        vertices, style).addTo(map);
    }
    undoBtn.classList.toggle('d-none', vertices.length === 0);
    var enough = vertices.length >= (mode === 'area' ? 3 : 2);
    finishBtn.disabled = !enough;
  }

  function addVertex(latlng) {
    geomInput.value = '';
    vertices.push(latlng);
    L.circleMarker(latlng, { radius: 5, color: '#d63384', weight: 2, fillColor: '#fff',
                             fillOpacity: 1, interactive: false }).addTo(vertexMarkers);
    drawSketch();
    setWhere(W[mode === 'line' ? 'hn_draw_hint_line' : 'hn_draw_hint_area']);
  }

  function finishShape() {
    var ring = vertices.map(function (p) { return [Number(fmt(p.lng)), Number(fmt(p.lat))]; });
    var geometry;
    if (mode === 'line' && ring.length >= 2) {
      geometry = { type: 'LineString', coordinates: ring };
    } else if (mode === 'area' && ring.length >= 3) {
      geometry = { type: 'Polygon', coordinates: [ring.concat([ring[0]])] };
    } else {
      return;
    }
    geomInput.value = JSON.stringify(geometry);
    var centre = sketch.getBounds().getCenter();
    latInput.value = fmt(centre.lat);
    lonInput.value = fmt(centre.lng);
    finishBtn.classList.add('d-none');
    undoBtn.classList.add('d-none');
    setWhere(word(mode === 'line' ? 'hn_picked_line' : 'hn_picked_area', { n: ring.length }));
  }

  function setMode(next) {
    mode = next;
    Array.prototype.forEach.call(document.querySelectorAll('[data-mode]'), function (b) {
      var on = b.getAttribute('data-mode') === next;
      b.classList.toggle('active', on);
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
    });
    clearAll();
    var drawing = next !== 'point';
    finishBtn.classList.toggle('d-none', !drawing);
    finishBtn.disabled = true;
    undoBtn.classList.add('d-none');
    if (drawing) { setWhere(W[next === 'line' ? 'hn_draw_hint_line' : 'hn_draw_hint_area']); }
    form.setAttribute('data-mode', next);
  }

  map.on('click', function (e) {
    if (mode === 'point') { setPoint(e.latlng, false); } else if (!geomInput.value) {
      addVertex(e.latlng);
    }
  });
  Array.prototype.forEach.call(document.querySelectorAll('[data-mode]'), function (b) {
    b.addEventListener('click', function () { setMode(b.getAttribute('data-mode')); });
  });
  finishBtn.addEventListener('click', finishShape);
  undoBtn.addEventListener('click', function () {
    vertices.pop();
    var layers = vertexMarkers.getLayers();
    if (layers.length) { vertexMarkers.removeLayer(layers[layers.length - 1]); }
    drawSketch();
  });
  document.getElementById('hz-clear').addEventListener('click', function () { setMode(mode); });

  function typedPoint() {
    var lat = parseFloat(latInput.value);
    var lon = parseFloat(lonInput.value);
    if (isFinite(lat) && isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
      setPoint(L.latLng(lat, lon), true);
    }
  }
  latInput.addEventListener('change', function () { if (mode === 'point') { typedPoint(); } });
  lonInput.addEventListener('change', function () { if (mode === 'point') { typedPoint(); } });

  document.getElementById('hz-locate').addEventListener('click', function () {
    if (!window.isSecureContext || !navigator.geolocation) {
      setWhere(W.hn_locate_insecure);
      return;
    }
    setMode('point');
    setWhere(W.hn_locating);
    navigator.geolocation.getCurrentPosition(function (pos) {
      var here = L.latLng(pos.coords.latitude, pos.coords.longitude);
      setPoint(here, false);
      map.setView(here, Math.max(map.getZoom(), 18));
      if (pos.coords.accuracy) {
        L.circle(here, { radius: pos.coords.accuracy, weight: 1, interactive: false })
          .addTo(vertexMarkers);
      }
    }, function () {
      setWhere(W.hn_locate_failed);
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });

  // -- the photo: phones take big pictures, so shrink one over the limit ------------------
  function shrink(file) {
    var accepted = ['image/jpeg', 'image/png', 'image/webp'].indexOf(file && file.type) >= 0;
    if (!file || (accepted && file.size <= config.maxPhotoBytes) || !window.createImageBitmap) {
      return Promise.resolve(file);
    }
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, 1920 / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement('canvas');
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) { resolve(blob || file); }, 'image/jpeg', 0.85);
      });
    }).catch(function () { return file; });
  }

  // -- sending -------------------------------------------------------------------------------
  var sending = false;

  function showStatus(text, kind) {
    status.textContent = '';
    if (!text) { return; }
    var box = document.createElement('div');
    box.className = 'alert py-2 mb-0 alert-' + (kind || 'info');
    box.setAttribute('role', kind === 'danger' ? 'alert' : 'status');
    box.textContent = text;
    status.appendChild(box);
  }

  function markInvalid(field) {
    Array.prototype.forEach.call(form.querySelectorAll('.is-invalid'), function (el) {
      el.classList.remove('is-invalid');
    });
    var ids = { category: 'hz-category', severity: 'hz-severity', description: 'hz-description',
                photo: 'hz-photo', reporter_name: 'hz-reporter-name',
                reporter_contact: 'hz-reporter-contact', lat: 'hz-lat', lon: 'hz-lon',
                geometry: 'hz-lat' };
    var el = field && document.getElementById(ids[field]);
    if (el) { el.classList.add('is-invalid'); el.focus(); }
  }

  function showDuplicates(candidates) {
    dupList.textContent = '';
    candidates.forEach(function (d) {
      var li = document.createElement('li');
      var a = document.createElement('a');
      a.href = config.hazardUrl + encodeURIComponent(d.id);
      a.textContent = '#' + d.id + ' ' + (config.labels[d.category] || d.category);
      li.appendChild(a);
      li.appendChild(document.createTextNode(' · ' + (config.labels[d.status] || d.status) +
        ' · ' + word('hn_metres', { m: d.distance_m })));
      if (d.description) {
        var p = document.createElement('div');
        p.className = 'small text-muted hz-clip';
        p.textContent = d.description;
        li.appendChild(p);
      }
      dupList.appendChild(li);
    });
    dupBox.classList.remove('d-none');
    dupBox.scrollIntoView({ block: 'nearest' });
    anyway.focus();
  }

  // The session's CSRF token (the form's hidden field, else the page's meta tag) as a header.
  function csrfHeaders(headers) {
    var field = form.querySelector('input[name=csrf_token]');
    var meta = document.querySelector('meta[name=csrf-token]');
    var token = (field && field.value) || (meta && meta.getAttribute('content'));
    if (token) { headers['X-CSRF-Token'] = token; }
    return headers;
  }

  function send(confirm) {
    if (sending) { return; }
    showStatus('');
    markInvalid(null);
    dupBox.classList.add('d-none');
    if (!geomInput.value && !(latInput.value && lonInput.value) && !config.asset) {
      showStatus(W.hn_no_location, 'danger');
      markInvalid('lat');
      return;
    }
    var file = photoInput.files && photoInput.files[0];
    sending = true;
    submit.disabled = true;
    anyway.disabled = true;
    showStatus(W.hn_sending, 'info');
    shrink(file).then(function (photo) {
      if (photo && photo.size > config.maxPhotoBytes) {
        throw { field: 'photo', message: word('hn_photo_too_big', { mb: config.photoMb }) };
      }
      var body = new FormData(form);
      body.delete('photo');
      body.delete('confirm_duplicate');
      if (photo) { body.append('photo', photo, photo.name || 'photo.jpg'); }
      if (confirm) { body.append('confirm_duplicate', 'true'); }
      return fetch(config.api, {
        method: 'POST',
        body: body,
        headers: csrfHeaders({ 'Idempotency-Key': keyInput.value, Accept: 'application/json' }),
        credentials: 'same-origin'
      }).catch(function () { throw { network: true }; });
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { response: response, data: data };
      });
    }).then(function (answer) {
      var r = answer.response;
      var data = answer.data;
      if ((r.status === 201 || r.status === 200) && data.id) {
        stored = true;
        showStatus('');
        window.location.assign(config.hazardUrl + encodeURIComponent(data.id));
        return;
      }
      var error = data.error || {};
      if (r.status === 409 && error.code === 'likely_duplicate') {
        showStatus('');
        showDuplicates(error.duplicates || []);
        return;
      }
      markInvalid(error.field);
      showStatus(word('hn_failed', { message: error.message || r.status }), 'danger');
    }).catch(function (problem) {
      if (problem && problem.network) {
        showStatus(W.hn_network, 'warning');
      } else if (problem && problem.field) {
        markInvalid(problem.field);
        showStatus(problem.message, 'danger');
      } else {
        showStatus(word('hn_failed', { message: String(problem) }), 'danger');
      }
    }).then(function () {
      sending = false;
      submit.disabled = false;
      anyway.disabled = false;
    });
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var confirm = event.submitter && event.submitter.id === 'hz-anyway';
    send(Boolean(confirm));
  });
  // a prefilled spot (a streetlight or camera, or a form sent back by the server)
  var typedLat = latInput.value;
  var typedLon = lonInput.value;
  setMode('point');
  if (config.asset) {
    setPoint(L.latLng(config.asset.lat, config.asset.lon), false);
    map.setView([config.asset.lat, config.asset.lon], 18);
  } else if (typedLat && typedLon) {
    latInput.value = typedLat;
    lonInput.value = typedLon;
    typedPoint();
  }
  form.setAttribute('data-ready', '1');
})();
