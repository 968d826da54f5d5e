/* /hazards/<id>: a small map of the hazard's point, line or area. The actions are plain forms
 * (they work without this script); here we only keep the actor's name between actions and stop
 * double taps from sending an action twice. */
(function () {
  'use strict';

  var config = hzMap.readConfig('hz-config');
  var map = hzMap.makeMap('hz-map', config, { scrollWheelZoom: false });
  if (config.geometry) {
    var shape = L.geoJSON(config.geometry, {
      style: { color: '#d63384', weight: 6, opacity: 0.9, fillOpacity: 0.25 },
      pointToLayer: function (_feature, latlng) {
        return L.marker(latlng, { icon: hzMap.pinIcon(), keyboard: false });
      }
    }).addTo(map);
    var bounds = shape.getBounds();
    if (config.geometry.type === 'Point') {
      map.setView(bounds.getCenter(), 18);
    } else {
      map.fitBounds(bounds, { padding: [30, 30], maxZoom: 19 });
    }
  }

  var remembered = null;
  try { remembered = window.localStorage.getItem('hz-actor'); } catch (e) { /* private mode */ }
  Array.prototype.forEach.call(document.querySelectorAll('#hz-actions form'), function (form) {
    var actor = form.querySelector('input[name=actor]');
    if (actor && !actor.value && remembered) { actor.value = remembered; }
    form.addEventListener('submit', function (event) {
      if (form.getAttribute('data-sent')) { event.preventDefault(); return; }
      form.setAttribute('data-sent', '1');
      var button = form.querySelector('button[type=submit]');
      if (button) { button.disabled = true; }
      if (actor && actor.value) {
        try { window.localStorage.setItem('hz-actor', actor.value); } catch (e) { /* ignore */ }
      }
    });
  });
  window.addEventListener('pageshow', function (event) {
    if (!event.persisted) { return; }
    Array.prototype.forEach.call(document.querySelectorAll('#hz-actions form'), function (form) {
      form.removeAttribute('data-sent');
      var button = form.querySelector('button[type=submit]');
      if (button) { button.disabled = false; }
    });
  });
  document.getElementById('hz-map').setAttribute('data-ready', '1');
})();
