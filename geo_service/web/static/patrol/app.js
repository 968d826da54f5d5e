/* The patrol app page (/patrol): registers the service worker (/sw.js), draws the member's
   grids and their streets, buildings, lights, cameras and open hazards from the GeoJSON URLs the
   server names (no basemap), lists their routes, and queues hazard reports (queue.js).

   State for people and tests: <html data-patrol-state="ready"> once drawn,
   data-offline-ready="yes" once the data was fetched under the worker (so it is cached),
   #pa-map data-<layer>="<features drawn>", #pa-waiting data-waiting="<reports waiting>".
   Every text from the server is set with textContent. */
/* global L, patrolQueue */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("pa-config").textContent);
  const words = config.words;
  const root = document.documentElement;
  const mapBox = document.getElementById("pa-map");
  const say = (key, values) => (words[key] || key).replace(/\{(\w+)\}/g,
    (_, name) => (values && name in values ? String(values[name]) : `{${name}}`));

  // -- the map: our own layers are the map ---------------------------------------------------
  const map = L.map(mapBox, {zoomControl: true, attributionControl: false, maxZoom: 20});
  if (config.bbox) {
    const [w, s, e, n] = config.bbox;
    map.fitBounds([[s, w], [n, e]]);
  } else {
    map.setView([27.52, 106.83], 15);
  }
  const STYLES = {
    grids: {color: "#3949ab", weight: 2, fill: true, fillOpacity: 0.04, dashArray: "6 4"},
    buildings: {color: "#8d6e63", weight: 1, fillColor: "#d7ccc8", fillOpacity: 0.6},
    streets: {color: "#546e7a", weight: 3},
    routes: {color: "#d81b60", weight: 4, opacity: 0.8},
  };
  const POINTS = {lights: "#f9a825", cameras: "#1e88e5", hazards: "#e53935"};
  const ORDER = ["grids", "buildings", "streets", "lights", "cameras", "hazards"];
  const groups = {};
  for (const name of [...ORDER, "routes"]) groups[name] = L.layerGroup().addTo(map);

  function draw(name, collection) {
    const group = groups[name];
    group.clearLayers();
    let features = (collection && collection.features) || [];
    if (name === "hazards") {
      features = features.filter((f) => (f.properties || {}).status !== "closed");
    }
    const layer = L.geoJSON({type: "FeatureCollection", features}, {
      style: () => STYLES[name] || STYLES.streets,
      pointToLayer: (_f, latlng) => L.circleMarker(latlng, {
        radius: name === "hazards" ? 7 : 5, color: "#fff", weight: 1,
        fillColor: POINTS[name] || "#555", fillOpacity: 0.9}),
      onEachFeature: (feature, shape) => {
        const p = feature.properties || {};
        const title = p.name || p.label || p.category || p.number || "";
        if (title !== "") shape.bindTooltip(String(title));
      },
    });
    layer.addTo(group);
    mapBox.dataset[name] = String(features.length);
    return features.length;
  }

  async function getJson(url) {
    const answer = await fetch(url, {credentials: "same-origin",
                                     headers: {Accept: "application/geo+json"}});
    if (!answer.ok) throw new Error(`${answer.status} ${url}`);
    return answer.json();
  }

  const layerStatus = document.getElementById("pa-layers");

  async function loadLayers() {
    const counts = [];
    const failed = [];
    await Promise.all(ORDER.filter((name) => config.data[name]).map(async (name) => {
      try {
        counts.push(`${words[`pa_layer_${name}`] || name} ${draw(name, await getJson(config.data[name]))}`);
      } catch (err) {
        failed.push(words[`pa_layer_${name}`] || name);
      }
    }));
    await loadRoutes().catch(() => failed.push(words.pa_routes || "routes"));
    layerStatus.textContent = failed.length
      ? say("pa_layers_missing", {layers: failed.join(", ")}) : counts.join(" · ");
    return failed.length === 0;
  }

  // -- routes: the newest plans that touch the member's grids ---------------------------------
  const routeList = document.getElementById("pa-routes");

  function plansFor(plans) {
    const mine = new Set(config.grids);
    const fits = (plan) => {
      const grids = (plan.params && plan.params.grids) || [];
      return !mine.size || !grids.length || grids.some((n) => mine.has(n));
    };
    return plans.filter(fits).slice(0, config.routes.plans);
  }

  async function loadRoutes() {
    const listing = await getJson(config.routes.list);
    const plans = plansFor(listing.plans || []);
    routeList.replaceChildren();
    groups.routes.clearLayers();
    let drawn = 0;
    for (const plan of plans) {
      const item = document.createElement("li");
      item.textContent = say("pa_route_item", {id: plan.id, when: plan.created_at || ""});
      routeList.append(item);
      const link = plan.links && plan.links.geojson;
      if (!link) continue;
      const geojson = await getJson(link);
      const lines = (geojson.features || []).filter((f) => f.geometry
        && f.geometry.type !== "Point");
      L.geoJSON({type: "FeatureCollection", features: lines},
                {style: () => STYLES.routes}).addTo(groups.routes);
      drawn += lines.length;
    }
    if (!plans.length) {
      const item = document.createElement("li");
      item.textContent = words.pa_no_routes;
      routeList.append(item);
    }
    mapBox.dataset.routes = String(drawn);
  }

  // -- the service worker -----------------------------------------------------------------------
  async function startWorker() {
    if (!("serviceWorker" in navigator)) return;
    const hadController = Boolean(navigator.serviceWorker.controller);
    navigator.serviceWorker.addEventListener("controllerchange", async () => {
      if (!hadController && await loadLayers()) root.dataset.offlineReady = "yes";
    }, {once: true});
    try {
      await navigator.serviceWorker.register(config.sw, {scope: "/"});
    } catch (err) {
      layerStatus.textContent = say("pa_no_worker", {reason: String(err.message || err)});
    }
  }

  // -- where: a tap on the map or the phone's position ------------------------------------------
  const where = document.getElementById("pa-where");
  let point = null;
  let marker = null;

  function place(lat, lon, how) {
    point = {lat: Number(lat.toFixed(7)), lon: Number(lon.toFixed(7))};
    if (marker) marker.setLatLng([lat, lon]);
    else marker = L.marker([lat, lon]).addTo(map);
    where.textContent = say(how, {lat: point.lat, lon: point.lon});
  }

  map.on("click", (event) => place(event.latlng.lat, event.latlng.lng, "pa_where_tap"));
  mapBox.classList.add("pa-pick");
  document.getElementById("pa-locate").addEventListener("click", () => {
    if (!navigator.geolocation) {
      where.textContent = words.pa_no_position;
      return;
    }
    where.textContent = words.pa_locating;
    navigator.geolocation.getCurrentPosition(
      (pos) => place(pos.coords.latitude, pos.coords.longitude, "pa_where_gps"),
      (err) => { where.textContent = say("pa_position_failed", {reason: err.message}); },
      {enableHighAccuracy: true, timeout: 15000, maximumAge: 10000});
  });

  // -- the queue ----------------------------------------------------------------------------------
  const form = document.getElementById("pa-form");
  const waiting = document.getElementById("pa-waiting");
  const list = document.getElementById("pa-queue-list");
  const status = document.getElementById("pa-sync-status");
  const net = document.getElementById("pa-net");
  const categoryWord = (value) => config.categories[value] || value;
  const itemWhat = (item) => (item.kind === "track" ? words.pa_track_item
                                                    : categoryWord(item.body.category));

  async function showQueue() {
    const items = await patrolQueue.all();
    const count = items.filter((i) => i.state === "waiting" || i.state === "sending").length;
    waiting.dataset.waiting = String(count);
    waiting.dataset.sent = String(items.filter((i) => i.state === "sent").length);
    waiting.dataset.failed = String(items.filter((i) => i.state === "failed").length);
    waiting.textContent = say("pa_waiting", {n: count});
    list.replaceChildren(...items.slice().reverse().map((item) => {
      const li = document.createElement("li");
      li.className = `pa-item-${item.state === "sending" ? "waiting" : item.state}`;
      li.dataset.state = item.state;
      li.dataset.key = item.key;
      const what = itemWhat(item);
      if (item.state === "sent") {
        li.textContent = say(item.kind === "track" ? "pa_track_sent" : "pa_item_sent",
                             {what, id: item.hazard ?? "?"});
      } else if (item.state === "failed") {
        li.textContent = say("pa_item_failed", {what, reason: item.error});
      } else {
        li.textContent = say("pa_item_waiting", {what});
      }
      return li;
    }));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!point) {
      where.textContent = words.pa_where_needed;
      return;
    }
    const body = {category: document.getElementById("pa-category").value,
                  description: document.getElementById("pa-description").value.trim(),
                  lat: point.lat, lon: point.lon};
    await patrolQueue.add(body);
    form.reset();
    point = null;
    if (marker) { marker.remove(); marker = null; }
    where.textContent = words.pa_queued;
    await showQueue();
    if (navigator.onLine) sync();
  });

  let syncing = null;

  function sync() {
    if (syncing) return syncing;
    status.textContent = words.pa_syncing;
    syncing = patrolQueue.sync({url: config.report, trackUrl: config.track,
                                csrfUrl: config.csrf, words})
      .then((outcome) => {
        if (outcome.signedOut) status.textContent = words.pa_signed_out;
        else if (outcome.offline) status.textContent = say("pa_sync_offline", outcome);
        else status.textContent = say("pa_sync_done", outcome);
      })
      .catch((err) => { status.textContent = say("pa_sync_error", {reason: String(err)}); })
      .finally(async () => {
        syncing = null;
        await showQueue();
        root.dataset.syncs = String(Number(root.dataset.syncs || 0) + 1);
      });
    return syncing;
  }
  window.patrolSync = sync;

  function showNet() {
    net.textContent = navigator.onLine ? words.pa_online : words.pa_offline;
    net.className = `badge ${navigator.onLine ? "bg-success" : "bg-warning text-dark"}`;
  }

  document.getElementById("pa-sync").addEventListener("click", () => sync());
  window.addEventListener("online", () => { showNet(); sync(); });
  window.addEventListener("offline", showNet);
  showNet();

  // -- the shift's GPS track ------------------------------------------------------------------
  const trackBox = document.getElementById("pa-track");
  const trackButton = document.getElementById("pa-track-toggle");

  function showTrack(state) {
    trackBox.dataset.points = String(state.points);
    trackBox.dataset.recording = state.recording ? "yes" : "no";
    trackBox.textContent = state.recording ? say("pa_track_recording", {n: state.points})
      : words.pa_track_idle;
    trackButton.textContent = state.recording ? words.pa_track_stop : words.pa_track_start;
  }

  const trackError = (err) => { trackBox.textContent = say("pa_position_failed",
                                                           {reason: err.message}); };
  trackButton.addEventListener("click", async () => {
    if (patrolTrack.active()) {
      await patrolTrack.stop();
      await showQueue();
      if (navigator.onLine) sync();
    } else {
      patrolTrack.start(config.grids, trackError);
    }
  });
  patrolTrack.resume(showTrack, trackError);

  // -- start ----------------------------------------------------------------------------------------
  startWorker();
  loadLayers().then((ok) => {
    root.dataset.patrolState = ok ? "ready" : "partial";
    if (ok && navigator.serviceWorker && navigator.serviceWorker.controller) {
      root.dataset.offlineReady = "yes";
    }
  });
  showQueue().then(() => { if (navigator.onLine) sync(); });
}());
