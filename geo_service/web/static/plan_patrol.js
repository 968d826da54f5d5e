/* The patrol planning page: choose grids, teams, start and streets; see K routes in one colour
 * per team with direction arrows and numbered stops; upload a walked GPX track.
 * Every piece of text from the server is put in with textContent (never innerHTML). */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("pp-config").textContent);
  var words = config.words;
  var locale = config.lang === "en" ? "en" : "zh-CN";
  var ARROW_SPACING_M = 80;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_m, key) {
      return values[key] === undefined ? "" : String(values[key]);
    });
  }

  function metres(v) {
    if (v === null || v === undefined || isNaN(v)) { return "–"; }
    return Number(v).toLocaleString(locale, { maximumFractionDigits: 0 });
  }

  function teamColor(team) {
    return config.colors[(Math.max(team, 1) - 1) % config.colors.length];
  }

  function withLang(url) {
    return config.lang === "en" ? url + (url.indexOf("?") < 0 ? "?" : "&") + "lang=en" : url;
  }

  // -- map ---------------------------------------------------------------------------------
  var map = L.map("patrol-map", { maxZoom: 19 });
  map.fitBounds(config.bounds, { padding: [10, 10] });
  if (config.basemap) {
    L.tileLayer(config.basemap.url, {
      attribution: config.basemap.attribution, maxZoom: config.basemap.maxZoom,
      subdomains: config.basemap.subdomains || "abc"
    }).addTo(map);
  }
  L.control.scale({ imperial: false }).addTo(map);
  map.createPane("pp-arrows").style.zIndex = "620";
  map.createPane("pp-stops").style.zIndex = "640";

  var contextLayer = L.layerGroup().addTo(map);
  var routeLayer = L.featureGroup().addTo(map);
  var arrowLayer = L.layerGroup().addTo(map);
  var stopLayer = L.layerGroup().addTo(map);
  var walkLayer = L.featureGroup().addTo(map);

  var legend = L.control({ position: "bottomright" });
  var legendTeams = el("div");
  legend.onAdd = function () {
    var box = el("div", { "class": "pp-legend", id: "pp-legend" });
    L.DomEvent.disableClickPropagation(box);
    box.appendChild(el("h2", {}, words.pp_legend));
    box.appendChild(legendTeams);
    var arrow = el("div");
    arrow.appendChild(el("span", { "class": "me-2" }, "➤"));
    arrow.appendChild(document.createTextNode(words.pp_arrow));
    box.appendChild(arrow);
    var stop = el("div");
    stop.appendChild(el("span", { "class": "me-2 fw-bold" }, "①"));
    stop.appendChild(document.createTextNode(words.pp_stop));
    box.appendChild(stop);
    var start = el("div");
    start.appendChild(el("span", { "class": "me-2 fw-bold" }, "★"));
    start.appendChild(document.createTextNode(words.pp_start_point));
    box.appendChild(start);
    var walked = el("div");
    walked.appendChild(el("span", { "class": "pp-swatch", style: "background:#111" }));
    walked.appendChild(document.createTextNode(words.pp_walked));
    box.appendChild(walked);
    return box;
  };
  legend.addTo(map);

  function loadContext() {
    fetch(config.api.streets, { headers: { Accept: "application/geo+json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        L.geoJSON(data, {
          interactive: false,
          style: function () { return { color: "#9e9e9e", weight: 2, opacity: 0.7 }; }
        }).addTo(contextLayer);
      })
      .catch(function () { /* the plan still works */ });
    fetch(config.api.grids, { headers: { Accept: "application/geo+json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        L.geoJSON(data, {
          interactive: false,
          style: function () {
            return { color: "#3949ab", weight: 1.5, opacity: 0.7, fill: false, dashArray: "6 4" };
          },
          onEachFeature: function (f, layer) {
            var at = f.properties.label_point;
            var where = Array.isArray(at) ? L.latLng(at[1], at[0]) : layer.getBounds().getCenter();
            L.marker(where, {
              icon: L.divIcon({ className: "pp-grid-label", html: el("span", {}, f.properties.number),
                                iconSize: null }),
              interactive: false, keyboard: false
            }).addTo(contextLayer);
          }
        }).addTo(contextLayer);
      })
      .catch(function () { /* no outlines */ });
  }

  // -- start point -------------------------------------------------------------------------
  var chosenStart = null;
  var startText = document.getElementById("pp-start-text");
  var startReset = document.getElementById("pp-start-reset");
  var startMarker = null;

  function showStart() {
    var at = chosenStart || (config.start ? [config.start.lon, config.start.lat] : null);
    if (startMarker) { map.removeLayer(startMarker); startMarker = null; }
    if (at) {
      startMarker = L.marker([at[1], at[0]], {
        icon: L.divIcon({ className: "route-start", html: el("span", {}, "★"), iconSize: null }),
        keyboard: false, interactive: false, pane: "pp-stops"
      }).addTo(map);
    }
    if (chosenStart) {
      startText.textContent = fill(words.pp_start_clicked, {
        lon: chosenStart[0].toFixed(6), lat: chosenStart[1].toFixed(6) });
      startReset.hidden = false;
    } else {
      startText.textContent = config.start ? fill(words.pp_start_default, { name: config.start.name })
        : words.pp_start_default.replace("{name}", "—");
      startReset.hidden = true;
    }
  }

  map.on("click", function (event) {
    chosenStart = [event.latlng.lng, event.latlng.lat];
    showStart();
  });
  startReset.addEventListener("click", function () { chosenStart = null; showStart(); });

  // -- drawing a plan ----------------------------------------------------------------------
  function bearing(a, b) {
    var rad = Math.PI / 180;
    var y = Math.sin((b.lng - a.lng) * rad) * Math.cos(b.lat * rad);
    var x = Math.cos(a.lat * rad) * Math.sin(b.lat * rad)
      - Math.sin(a.lat * rad) * Math.cos(b.lat * rad) * Math.cos((b.lng - a.lng) * rad);
    return Math.atan2(y, x) / rad;
  }

  // Small rotated arrows every ARROW_SPACING_M metres along a walked line.
  function addArrows(coords, color) {
    var since = ARROW_SPACING_M / 2;
    var count = 0;
    for (var i = 1; i < coords.length; i++) {
      var a = L.latLng(coords[i - 1][1], coords[i - 1][0]);
      var b = L.latLng(coords[i][1], coords[i][0]);
      var length = a.distanceTo(b);
      if (!(length > 0)) { continue; }
      var heading = bearing(a, b);
      var next = ARROW_SPACING_M - since;
      while (next <= length) {
        var t = next / length;
        var at = L.latLng(a.lat + t * (b.lat - a.lat), a.lng + t * (b.lng - a.lng));
        var glyph = el("span", {}, "➤");
        glyph.style.color = color;
        glyph.style.transform = "rotate(" + (heading - 90).toFixed(1) + "deg)";
        L.marker(at, {
          icon: L.divIcon({ className: "route-arrow", html: glyph, iconSize: [14, 14],
                            iconAnchor: [7, 7] }),
          interactive: false, keyboard: false, pane: "pp-arrows"
        }).addTo(arrowLayer);
        count += 1;
        next += ARROW_SPACING_M;
      }
      since = length - (next - ARROW_SPACING_M);
    }
    return count;
  }

  function clearPlan() {
    routeLayer.clearLayers();
    arrowLayer.clearLayers();
    stopLayer.clearLayers();
    legendTeams.replaceChildren();
    document.getElementById("pp-result").hidden = true;
  }

  function popupTable(title, rows) {
    var box = el("div");
    box.appendChild(el("strong", {}, title));
    var table = el("table", { "class": "small" });
    rows.forEach(function (r) {
      if (r[1] === null || r[1] === undefined || r[1] === "") { return; }
      var tr = el("tr");
      tr.appendChild(el("th", { "class": "pe-2" }, r[0]));
      tr.appendChild(el("td", {}, r[1]));
      table.appendChild(tr);
    });
    box.appendChild(table);
    return box;
  }

  function drawPlan(data) {
    clearPlan();
    var routes = data.features.filter(function (f) { return f.properties.kind === "route"; });
    var stops = data.features.filter(function (f) { return f.properties.kind === "stop"; });
    var several = routes.length > 1;
    var arrows = 0;
    routes.forEach(function (f) {
      var p = f.properties;
      var color = p.color || teamColor(p.team);
      var line = L.geoJSON(f, {
        style: function () {
          return { color: color, weight: 5, opacity: 0.8, lineJoin: "round",
                   className: "pp-route pp-route-" + p.team };
        }
      }).bindPopup(popupTable(words.pp_team + " " + p.team, [
        [words.pp_length, metres(p.length_m)], [words.pp_minutes, Math.round(p.minutes)],
        [words.pp_repeated, metres(p.repeated_m)], [words.pp_stops, p.stops]
      ]));
      line.addTo(routeLayer);
      arrows += addArrows(f.geometry.coordinates, color);
      var row = el("div");
      row.appendChild(el("span", { "class": "pp-swatch", style: "background:" + color }));
      row.appendChild(document.createTextNode(words.pp_team + " " + p.team));
      legendTeams.appendChild(row);
    });
    stops.forEach(function (f) {
      var p = f.properties;
      var color = p.color || teamColor(p.team);
      var text = several ? p.team + "-" + p.stop : String(p.stop);
      var badge = el("span", {}, text);
      badge.style.background = color;
      var c = f.geometry.coordinates;
      var kind = p.category ? (config.vocab[p.category] || p.category) : p.stop_kind;
      L.marker([c[1], c[0]], {
        icon: L.divIcon({ className: "route-stop", html: badge, iconSize: null }),
        title: text, pane: "pp-stops", riseOnHover: true
      }).bindPopup(popupTable(words.pp_stops + " " + text, [
        [words.rs_kind, kind], [words.rs_ref, p.label], [words.rs_detail, p.detail],
        [words.rs_after, metres(p.after_m)]
      ])).addTo(stopLayer);
    });
    showStats(data, routes);
    if (routes.length) { map.fitBounds(routeLayer.getBounds().pad(0.05)); }
    var root = document.getElementById("pp-result");
    root.dataset.routes = String(routes.length);
    root.dataset.stops = String(stops.length);
    root.dataset.arrows = String(arrows);
    root.hidden = false;
  }

  function showStats(data, routes) {
    var s = data.stats;
    document.getElementById("pp-plan-no").textContent = fill(words.pp_plan_no, { id: data.plan });
    var body = document.querySelector("#pp-teams-table tbody");
    body.replaceChildren();
    routes.forEach(function (f) {
      var p = f.properties;
      var tr = el("tr", { "data-team": p.team });
      var name = el("td");
      name.appendChild(el("span", { "class": "pp-swatch", style: "background:" + (p.color || teamColor(p.team)) }));
      name.appendChild(document.createTextNode((p.day ? p.day + "/" + p.shift + " · " : "") + p.team));
      tr.appendChild(name);
      [metres(p.length_m), Math.round(p.minutes), metres(p.repeated_m), p.stops].forEach(function (v) {
        tr.appendChild(el("td", { "class": "num" }, v));
      });
      body.appendChild(tr);
    });
    var foot = document.querySelector("#pp-teams-table tfoot");
    foot.replaceChildren();
    var total = el("tr", { "class": "fw-bold" });
    total.appendChild(el("td", {}, words.pp_total));
    [metres(s.total_m), Math.round(s.minutes), metres(s.repeated_m), ""].forEach(function (v) {
      total.appendChild(el("td", { "class": "num" }, v));
    });
    foot.appendChild(total);
    var bound = document.getElementById("pp-bound");
    bound.textContent = s.bound_m ? fill(words.pp_bound, {
      longest: metres(s.longest_m), bound: metres(s.bound_m), ratio: Number(s.ratio).toFixed(3)
    }) : "";
    document.getElementById("pp-method").textContent = s.one_team_m ? fill(words.pp_one_team, {
      length: metres(s.one_team_m), bound: metres(s.one_team_bound_m), method: s.one_team_method
    }) : "";
    var notes = document.getElementById("pp-notes");
    notes.replaceChildren();
    (s.notes || []).forEach(function (n) { notes.appendChild(el("li", {}, n)); });
    var links = data.links || {};
    document.getElementById("pp-gpx").href = links.gpx || "#";
    document.getElementById("pp-geojson").href = links.geojson || "#";
    document.getElementById("pp-sheet").href = withLang(links.sheet || "#");
  }

  // -- the form ----------------------------------------------------------------------------
  var form = document.getElementById("pp-form");
  var status = document.getElementById("pp-status");
  var submit = document.getElementById("pp-submit");

  function setStatus(node, text, isError) {
    node.textContent = text;
    node.classList.toggle("is-error", !!isError);
  }

  // The session's CSRF token (from the page's meta tag) as a header on posts.
  function csrfHeaders(headers) {
    var meta = document.querySelector("meta[name=csrf-token]");
    if (meta && meta.getAttribute("content")) { headers["X-CSRF-Token"] = meta.getAttribute("content"); }
    return headers;
  }

  function errorText(res) {
    return res.data && res.data.error ? res.data.error.message : "HTTP " + res.status;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = {
      grids: Array.prototype.map.call(form.querySelectorAll("input[name=grid]:checked"),
        function (i) { return Number(i.value); }),
      teams: Math.max(1, Math.min(12, Math.round(Number(document.getElementById("pp-teams").value) || 1))),
      required: document.getElementById("pp-required").value
    };
    var points = document.getElementById("pp-points").value;
    if (points) { body.points = points; }
    if (chosenStart) { body.start = chosenStart; }
    submit.disabled = true;
    setStatus(status, words.pp_computing, false);
    fetch(withLang(config.api.plan), {
      method: "POST", credentials: "same-origin",
      headers: csrfHeaders({ "Content-Type": "application/json", Accept: "application/geo+json" }),
      body: JSON.stringify(body)
    })
      .then(function (r) {
        return r.json().then(function (d) { return { ok: r.ok, status: r.status, data: d }; });
      })
      .then(function (res) {
        if (!res.ok) { setStatus(status, words.pp_failed + errorText(res), true); return; }
        drawPlan(res.data);
        setStatus(status, "", false);
        form.dataset.done = String(res.data.plan);
      })
      .catch(function (err) { setStatus(status, words.pp_failed + String(err), true); })
      .finally(function () { submit.disabled = false; });
  });

  // -- uploading a walked track ------------------------------------------------------------
  var upload = document.getElementById("pp-upload");
  var uploadStatus = document.getElementById("pp-upload-status");
  upload.addEventListener("submit", function (event) {
    event.preventDefault();
    var data = new FormData();
    var file = document.getElementById("pp-file").files[0];
    if (file) { data.append("track", file); }
    data.append("member", document.getElementById("pp-member").value);
    form.querySelectorAll("input[name=grid]:checked").forEach(function (i) {
      data.append("grid", i.value);
    });
    setStatus(uploadStatus, words.pp_uploading, false);
    fetch(withLang(config.api.track), { method: "POST", body: data, credentials: "same-origin",
                                        headers: csrfHeaders({ Accept: "application/json" }) })
      .then(function (r) {
        return r.json().then(function (d) { return { ok: r.ok, status: r.status, data: d }; });
      })
      .then(function (res) {
        if (!res.ok) { setStatus(uploadStatus, words.pp_failed + errorText(res), true); return; }
        setStatus(uploadStatus, "", false);
        walkLayer.clearLayers();
        L.geoJSON(res.data.walks, {
          style: function () { return { color: "#111", weight: 3, opacity: 0.9, dashArray: "6 4" }; },
          onEachFeature: function (f, layer) {
            layer.bindPopup(popupTable(words.pp_matched, [
              ["", f.properties.name || f.properties.ref], ["m", metres(f.properties.walked_m)],
              ["", f.properties.walked_at]
            ]));
          }
        }).addTo(walkLayer);
        var result = document.getElementById("pp-upload-result");
        result.textContent = res.data.lines.join("\n");
        result.hidden = false;
        upload.dataset.done = String(res.data.track_id);
        if (walkLayer.getLayers().length) { map.fitBounds(walkLayer.getBounds().pad(0.1)); }
      })
      .catch(function (err) { setStatus(uploadStatus, words.pp_failed + String(err), true); });
  });

  loadContext();
  showStart();
  window.patrolPage = { map: map, routes: routeLayer, arrows: arrowLayer, stops: stopLayer,
                        walks: walkLayer };
})();
