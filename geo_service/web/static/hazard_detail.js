/* /hazards/<id>: a small map of the hazard's point, line or area. The actions are plain forms
 * (they work without this script); here we only stop double taps from sending an action
 * twice. (Who acts is the signed-in user: the forms carry no name.) */
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

  Array.prototype.forEach.call(document.querySelectorAll('#hz-actions form'), function (form) {
    form.addEventListener('submit', function (event) {
      if (form.getAttribute('data-sent')) { event.preventDefault(); return; }
      form.setAttribute('data-sent', '1');
      var button = form.querySelector('button[type=submit]');
      if (button) { button.disabled = true; }
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
