/* The lighting and camera planning page: gaps layer, placement form, results, preset scenario.
 * Every piece of text from the server is put in with textContent (never innerHTML). */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("plan-config").textContent);
  var words = config.words;
  var vocab = config.vocab;
  var locale = config.lang === "en" ? "en" : "zh-CN";

  var GAP_STYLE = {
    dark: { color: "#d50000", weight: 4, opacity: 0.9 },
    unseen: { color: "#d50000", weight: 4, opacity: 0.9, dashArray: "8 4" },
    unknown: { color: "#ff8a65", weight: 3, opacity: 0.9, dashArray: "3 5" }
  };
  var STRETCH_STYLE = { color: "#00c853", weight: 7, opacity: 0.85, className: "plan-stretch" };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function metres(v) {
    if (v === null || v === undefined || isNaN(v)) { return "–"; }
    return Number(v).toLocaleString(locale, { maximumFractionDigits: 1 });
  }

  function share(v) {
    if (v === null || v === undefined || isNaN(v)) { return "–"; }
    return (100 * v).toLocaleString(locale, { maximumFractionDigits: 1 }) + "%";
  }

  function kindWord(kind) {
    return words["pl_kind_" + kind] || vocab[kind] || kind;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_m, key) {
      return values[key] === undefined ? "" : String(values[key]);
    });
  }

  function popupTable(title, rows) {
    var box = el("div", { "class": "plan-popup" });
    box.appendChild(el("strong", {}, title));
    var table = el("table");
    rows.forEach(function (r) {
      var tr = el("tr");
      tr.appendChild(el("th", {}, r[0]));
      tr.appendChild(el("td", {}, r[1]));
      table.appendChild(tr);
    });
    box.appendChild(table);
    return box;
  }

  // -- map -----------------------------------------------------------------------------------
  var map = L.map("plan-map", { maxZoom: 19, preferCanvas: false });
  map.fitBounds(config.bounds, { padding: [10, 10] });
  if (config.basemap) {
    L.tileLayer(config.basemap.url, {
      attribution: config.basemap.attribution, maxZoom: config.basemap.maxZoom,
      subdomains: config.basemap.subdomains || "abc"
    }).addTo(map);
  }
  L.control.scale({ imperial: false }).addTo(map);

  var contextLayer = L.layerGroup().addTo(map);
  var gapLayer = L.layerGroup().addTo(map);
  var stretchLayer = L.layerGroup().addTo(map);
  var siteLayer = L.layerGroup().addTo(map);

  var legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    var box = el("div", { "class": "plan-legend", id: "plan-legend" });
    box.appendChild(el("h2", {}, words.pl_legend));
    function line(style, text) {
      var row = el("div");
      var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      svg.setAttribute("width", "28"); svg.setAttribute("height", "10");
      var ln = document.createElementNS("http://www.w3.org/2000/svg", "line");
      ln.setAttribute("x1", "1"); ln.setAttribute("y1", "5");
      ln.setAttribute("x2", "27"); ln.setAttribute("y2", "5");
      ln.setAttribute("stroke", style.color);
      ln.setAttribute("stroke-width", String(Math.min(style.weight, 6)));
      if (style.dashArray) { ln.setAttribute("stroke-dasharray", style.dashArray); }
      svg.appendChild(ln);
      row.appendChild(svg);
      row.appendChild(document.createTextNode(text));
      box.appendChild(row);
    }
    line(GAP_STYLE.dark, words.pl_gap_dark);
    line(GAP_STYLE.unseen, words.pl_gap_unseen);
    line(GAP_STYLE.unknown, words.pl_gap_unknown);
    line(STRETCH_STYLE, words.pl_stretch);
    [["#f9a825", words.pl_existing_lights], ["#1565c0", words.pl_existing_cameras],
      ["#ffffff", words.pl_broken]].forEach(function (pair) {
      var row = el("div");
      row.appendChild(el("span", { style: "display:inline-block;width:9px;height:9px;border-radius:5px;" +
        "border:1px solid #424242;background:" + pair[0] + ";margin:0 .75rem 0 .6rem;vertical-align:middle" }));
      row.appendChild(document.createTextNode(pair[1]));
      box.appendChild(row);
    });
    [["#1b5e20", words.pl_new_lamp], ["#0d47a1", words.pl_new_camera],
      ["#e65100", words.pl_repair_site]].forEach(function (pair) {
      var row = el("div");
      row.appendChild(el("span", { style: "display:inline-block;width:12px;height:12px;" +
        "border-radius:6px;background:" + pair[0] + ";margin:0 .6rem 0 .5rem;vertical-align:middle" }));
      row.appendChild(document.createTextNode(pair[1]));
      box.appendChild(row);
    });
    return box;
  };
  legend.addTo(map);

  // -- gaps ----------------------------------------------------------------------------------
  var gapRequest = 0;
  function loadGaps(kind) {
    var mine = ++gapRequest;
    gapLayer.clearLayers();
    fetch(config.api.gaps + "?kind=" + encodeURIComponent(kind), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || mine !== gapRequest) { return; }
        L.geoJSON(data, {
          style: function (f) {
            var s = GAP_STYLE[f.properties.kind] || GAP_STYLE.dark;
            return Object.assign({ className: "plan-gap plan-gap-" + f.properties.kind }, s);
          },
          onEachFeature: function (f, layer) {
            var p = f.properties;
            layer.bindPopup(popupTable(words["pl_gap_" + p.kind] || p.kind, [
              [words.pl_kind, vocab[p.street_class] || p.street_class],
              [words.pl_grid, p.grid === null ? "–" : p.grid],
              ["m", metres(p.length_m)],
              [words.pl_open_hazards, p.open_hazards],
              ["priority", metres(p.priority)]
            ]));
          }
        }).addTo(gapLayer);
      })
      .catch(function () { /* the gaps layer stays empty */ });
  }

  // -- the plan ------------------------------------------------------------------------------
  var form = document.getElementById("plan-form");
  var status = document.getElementById("plan-status");
  var submit = document.getElementById("plan-submit");

  function asset() {
    return form.querySelector("input[name=asset]:checked").value;
  }

  function clearPlan() {
    stretchLayer.clearLayers();
    siteLayer.clearLayers();
    document.getElementById("plan-result").hidden = true;
  }

  function setStatus(text, isError) {
    status.textContent = text;
    status.classList.toggle("is-error", !!isError);
  }

  function drawPlan(data) {
    clearPlan();
    var summary = data.summary;
    var isLight = summary.asset === "light";
    var stretches = data.features.filter(function (f) { return f.properties.feature === "stretch"; });
    var sites = data.features.filter(function (f) { return f.properties.feature === "site"; });
    L.geoJSON({ type: "FeatureCollection", features: stretches }, {
      style: function () { return STRETCH_STYLE; },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindPopup(popupTable(words.pl_stretch, [
          [words.pl_rank, p.site_rank], ["m", metres(p.length_m)],
          [words.pl_kind, vocab[p.street_class] || p.street_class],
          [words.pl_grid, p.grid === null ? "–" : p.grid]
        ]));
      }
    }).addTo(stretchLayer);
    sites.forEach(function (f) {
      var p = f.properties;
      var c = f.geometry.coordinates;
      var label = el("span", {}, p.rank);
      var cls = "plan-site" + (isLight ? "" : " is-camera") + (p.kind === "repair" ? " is-repair" : "");
      var icon = L.divIcon({ className: cls, html: label, iconSize: null });
      var rows = [
        [words.pl_kind, kindWord(p.kind)],
        [words.pl_cost, metres(p.cost_yuan)],
        [words.pl_added_m, metres(p.added_m)],
        [words.pl_grid, p.grid === null ? "–" : p.grid]
      ];
      if (!isLight && p.heading_deg !== null && p.heading_deg !== undefined) {
        rows.push([words.pl_heading, metres(p.heading_deg)]);
      }
      if (p.asset_id) { rows.push(["ID", p.asset_id]); }
      L.marker([c[1], c[0]], { icon: icon, title: String(p.rank), riseOnHover: true })
        .bindPopup(popupTable((isLight ? words.pl_lights : words.pl_cameras) + " #" + p.rank, rows))
        .addTo(siteLayer);
    });

    var t = summary.totals;
    document.getElementById("plan-totals").textContent = fill(words.pl_totals, {
      sites: t.sites, cost: metres(t.cost_yuan), closed: metres(t.closed_m),
      before: metres(t.gap_m_before)
    });
    var s = summary.solver;
    document.getElementById("plan-solver").textContent = fill(words.pl_solver, {
      method: s.method, gap: s.gap === null ? "–" : s.gap, seconds: s.seconds
    });
    var body = document.querySelector("#plan-before-after tbody");
    body.replaceChildren();
    summary.grids.forEach(function (g) {
      var tr = el("tr");
      tr.appendChild(el("td", {}, g.grid || "–"));
      [metres(g.covered_m_before) + " (" + share(g.share_before) + ")",
        metres(g.covered_m_after) + " (" + share(g.share_after) + ")",
        metres(g.gap_m_before), metres(g.gap_m_after), metres(g.closed_m)
      ].forEach(function (v) { tr.appendChild(el("td", { "class": "num" }, v)); });
      body.appendChild(tr);
    });
    var siteBody = document.querySelector("#plan-sites tbody");
    siteBody.replaceChildren();
    sites.forEach(function (f) {
      var p = f.properties;
      var tr = el("tr");
      tr.appendChild(el("td", {}, p.rank));
      tr.appendChild(el("td", {}, kindWord(p.kind) + (p.asset_id ? " " + p.asset_id : "")));
      tr.appendChild(el("td", { "class": "num" }, metres(p.cost_yuan)));
      tr.appendChild(el("td", { "class": "num" }, metres(p.added_m)));
      tr.appendChild(el("td", {}, p.grid === null ? "–" : p.grid));
      siteBody.appendChild(tr);
    });
    if (!sites.length) {
      var empty = el("tr");
      empty.appendChild(el("td", { colspan: "5", "class": "text-muted" }, words.pl_none));
      siteBody.appendChild(empty);
    }
    document.getElementById("plan-result").hidden = false;
    var layers = stretchLayer.getLayers().concat(siteLayer.getLayers());
    if (sites.length) {
      var group = L.featureGroup(siteLayer.getLayers());
      map.fitBounds(group.getBounds().pad(0.25), { maxZoom: 18 });
    }
    return layers.length;
  }

  // The session's CSRF token (from the page's meta tag) as a header on posts.
  function csrfHeaders(headers) {
    var meta = document.querySelector("meta[name=csrf-token]");
    if (meta && meta.getAttribute("content")) { headers["X-CSRF-Token"] = meta.getAttribute("content"); }
    return headers;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var question = document.getElementById("plan-question").value;
    var raw = document.getElementById("plan-value").value;
    var value = Number(raw);
    if (raw === "" || !isFinite(value) || value < 0) {
      setStatus(words.pl_failed + words.pl_value, true);
      return;
    }
    var body = {};
    body[question] = question === "count" ? Math.round(value) : value;
    body.grids = Array.prototype.map.call(
      form.querySelectorAll("input[name=grid]:checked"), function (i) { return Number(i.value); });
    submit.disabled = true;
    setStatus(words.pl_computing, false);
    fetch(config.api[asset()], {
      method: "POST",
      headers: csrfHeaders({ "Content-Type": "application/json", Accept: "application/json" }),
      credentials: "same-origin",
      body: JSON.stringify(body)
    })
      .then(function (r) {
        return r.json().then(function (data) { return { ok: r.ok, data: data }; });
      })
      .then(function (res) {
        if (!res.ok) {
          var message = res.data && res.data.error ? res.data.error.message : "";
          setStatus(words.pl_failed + message, true);
          return;
        }
        drawPlan(res.data);
        setStatus("", false);
        form.setAttribute("data-done", String(Date.now()));
      })
      .catch(function (err) { setStatus(words.pl_failed + String(err), true); })
      .finally(function () { submit.disabled = false; });
  });

  Array.prototype.forEach.call(form.querySelectorAll("input[name=asset]"), function (input) {
    input.addEventListener("change", function () {
      clearPlan();
      loadGaps(asset() === "lights" ? "lighting" : "cameras");
    });
  });

  // -- the preset scenario -------------------------------------------------------------------
  function loadScenario() {
    var body = document.querySelector("#scenario-table tbody");
    fetch(config.api.scenario, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, data: d }; }); })
      .then(function (res) {
        body.replaceChildren();
        if (!res.ok) {
          var tr = el("tr");
          tr.appendChild(el("td", { colspan: "3", "class": "text-muted" },
            res.data && res.data.error ? res.data.error.message : words.pl_failed));
          body.appendChild(tr);
          return;
        }
        var l = res.data.lights, c = res.data.cameras;
        [
          [words.pl_sc_sites, String(l.k) + " (" + l.actual_ids.length + ")",
            String(c.k) + " (" + c.actual_ids.length + ")"],
          [words.pl_sc_open, metres(l.open_m), metres(c.open_m)],
          [words.pl_sc_actual, metres(l.actual_m), metres(c.actual_m)],
          [words.pl_sc_best, metres(l.best_m), metres(c.best_m)],
          [words.pl_sc_share, share(l.share_of_best), share(c.share_of_best)],
          [words.pl_sc_short, metres(l.shortfall_m), metres(c.shortfall_m)],
          [words.pl_sc_same_cost, metres(l.best_same_kind_m), metres(c.best_same_kind_m)]
        ].forEach(function (row) {
          var tr = el("tr");
          tr.appendChild(el("th", {}, row[0]));
          tr.appendChild(el("td", { "class": "num" }, row[1]));
          tr.appendChild(el("td", { "class": "num" }, row[2]));
          body.appendChild(tr);
        });
        document.getElementById("plan-scenario").setAttribute("data-loaded", "1");
      })
      .catch(function () { /* left as "loading" */ });
  }

  function loadContext() {
    fetch(config.api.context, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        L.geoJSON(data.buildings, {
          interactive: false,
          style: function () {
            return { color: "#9e9e9e", weight: 0.6, fillColor: "#bdbdbd", fillOpacity: 0.45,
              className: "plan-building" };
          }
        }).addTo(contextLayer);
        [["lights", "#f9a825"], ["cameras", "#1565c0"]].forEach(function (pair) {
          L.geoJSON(data[pair[0]], {
            pointToLayer: function (f, latlng) {
              var working = f.properties.status !== "broken";
              return L.circleMarker(latlng, {
                radius: pair[0] === "lights" ? 3 : 4, weight: 1, color: "#424242",
                fillColor: working ? pair[1] : "#ffffff", fillOpacity: 0.95,
                className: "plan-existing plan-existing-" + pair[0]
              }).bindTooltip(f.properties.source_id + " · " + (vocab[f.properties.status] || f.properties.status));
            }
          }).addTo(contextLayer);
        });
        L.geoJSON(data.grids, {
          interactive: false,
          style: function () {
            return { color: "#3949ab", weight: 1.5, opacity: 0.7, fill: false, dashArray: "6 4" };
          },
          onEachFeature: function (f, layer) {
            var label = el("span", {}, f.properties.number);
            L.marker(layer.getBounds().getCenter(), {
              icon: L.divIcon({ className: "plan-grid-label", html: label, iconSize: null }),
              interactive: false, keyboard: false
            }).addTo(contextLayer);
          }
        }).addTo(contextLayer);
      })
      .catch(function () { /* no context: the plan still works */ });
  }

  loadContext();
  loadGaps("lighting");
  loadScenario();
  window.planPage = { map: map, sites: siteLayer, stretches: stretchLayer, gaps: gapLayer };
})();
