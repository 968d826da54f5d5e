/* The patrol app's report queue in IndexedDB: each report waits there with its idempotency key
   until POST /api/hazards has stored it. Sending the same key twice stores it once (the server
   answers the replay with 200), so a sync cut in the middle is simply run again.

   window.patrolQueue = {add, all, sync, markAllWaiting, addPoint, points, gpx}; states: waiting, sending, sent, failed. */
(function () {
  "use strict";

  const DB_NAME = "patrol-app";
  const STORE = "reports";
  const POINTS = "points";
  let opened = null;

  function request(req) {
    return new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  function database() {
    if (!opened) {
      const req = indexedDB.open(DB_NAME, 2);
      req.onupgradeneeded = (event) => {
        const db = req.result;
        if (event.oldVersion < 1) {
          db.createObjectStore(STORE, {keyPath: "key"}).createIndex("created", "created");
        }
        if (event.oldVersion < 2) {  // GPS fixes of the shifts (track.js)
          db.createObjectStore(POINTS, {autoIncrement: true}).createIndex("shift", "shift");
        }
      };
      opened = request(req);
    }
    return opened;
  }

  async function store(mode) {
    const db = await database();
    return db.transaction(STORE, mode).objectStore(STORE);
  }

  /** Queue one report body ({category, description, lat, lon}); returns the stored item.
      `kind` "track" queues an ended shift's track instead (body {shift, grids}). */
  async function add(body, kind = "report", key = crypto.randomUUID()) {
    const item = {key, kind, created: new Date().toISOString(), body,
                  state: "waiting", error: "", status: 0, hazard: null, sent: null};
    await request((await store("readwrite")).put(item));
    return item;
  }

  async function put(item) {
    await request((await store("readwrite")).put(item));
  }

  /** Keep one GPS fix of a shift ({shift, t, lat, lon, acc}). */
  async function addPoint(point) {
    const db = await database();
    await request(db.transaction(POINTS, "readwrite").objectStore(POINTS).add(point));
  }

  /** The fixes of a shift, in the order they came. */
  async function points(shift) {
    const db = await database();
    const index = db.transaction(POINTS, "readonly").objectStore(POINTS).index("shift");
    return request(index.getAll(IDBKeyRange.only(shift)));
  }

  const escapeXml = (value) => String(value).replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

  /** A shift's fixes as a GPX 1.1 track. */
  function gpx(shift, fixes) {
    const rows = fixes.map((p) => `<trkpt lat="${p.lat}" lon="${p.lon}"><time>${
      escapeXml(p.t)}</time></trkpt>`).join("");
    return '<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="patrol-app" '
      + `xmlns="http://www.topografix.com/GPX/1/1"><trk><name>${escapeXml(shift)}</name>`
      + `<trkseg>${rows}</trkseg></trk></gpx>`;
  }

  /** The request that sends one queued item: a report as JSON, a track as a GPX upload. */
  async function requestFor(item, options, token) {
    const headers = {"Idempotency-Key": item.key, "X-CSRF-Token": token,
                     Accept: "application/json"};
    if (item.kind !== "track") {
      return [options.url, {method: "POST", credentials: "same-origin",
                            headers: {...headers, "Content-Type": "application/json"},
                            body: JSON.stringify(item.body)}];
    }
    const form = new FormData();
    const fixes = await points(item.body.shift);
    form.append("track", new Blob([gpx(item.body.shift, fixes)], {type: "application/gpx+xml"}),
                `shift-${item.body.shift}.gpx`);
    for (const grid of item.body.grids || []) form.append("grid", String(grid));
    return [options.trackUrl, {method: "POST", credentials: "same-origin", headers, body: form}];
  }

  /** Every queued item, oldest first. */
  async function all() {
    const items = await request((await store("readonly")).getAll());
    return items.sort((a, b) => a.created.localeCompare(b.created));
  }

  /** Put every item back to waiting (to replay the queue: the keys keep it from storing twice). */
  async function markAllWaiting() {
    for (const item of await all()) {
      item.state = "waiting";
      await put(item);
    }
  }

  function errorText(payload, fallback) {
    const error = payload && payload.error;
    if (error && typeof error === "object") return String(error.message || error.code || fallback);
    if (payload && payload.description) return String(payload.description);
    return fallback;
  }

  /**
   * Send every waiting item, in order. `options.csrfUrl` gives a fresh CSRF token first (the
   * page may come from the cache), `options.url` is POST /api/hazards, `options.words` the
   * page's messages. Stops at the first network failure (the rest keeps waiting).
   * Returns {sent, failed, waiting, offline}.
   */
  async function sync(options) {
    const words = options.words || {};
    const outcome = {sent: 0, failed: 0, waiting: 0, offline: false};
    const pending = (await all()).filter((item) => item.state === "waiting"
                                                   || item.state === "sending");
    // tracks first (the walked streets), then the reports, each oldest first
    pending.sort((a, b) => Number(b.kind === "track") - Number(a.kind === "track"));
    if (!pending.length) return outcome;
    let token;
    try {
      const answer = await fetch(options.csrfUrl, {credentials: "same-origin",
                                                   cache: "no-store"});
      if (answer.status === 401 || answer.status === 403 || answer.redirected) {
        outcome.signedOut = true;
        outcome.waiting = pending.length;
        return outcome;
      }
      token = (await answer.json()).csrf_token;
    } catch (err) {
      outcome.offline = true;
      outcome.waiting = pending.length;
      return outcome;
    }
    for (let i = 0; i < pending.length; i += 1) {
      const item = pending[i];
      item.state = "sending";
      await put(item);
      let answer;
      try {
        answer = await fetch(...await requestFor(item, options, token));
      } catch (err) {
        item.state = "waiting";
        await put(item);
        outcome.offline = true;
        outcome.waiting = pending.length - i;
        return outcome;
      }
      let payload = null;
      try { payload = await answer.json(); } catch (err) { payload = null; }
      item.status = answer.status;
      if (answer.status === 200 || answer.status === 201) {
        item.state = "sent";
        item.error = "";
        item.hazard = payload && (payload.id ?? payload.track_id);
        item.sent = new Date().toISOString();
        outcome.sent += 1;
      } else if (answer.status >= 500 || answer.status === 429) {
        item.state = "waiting";  // the server's trouble: try again later
        item.error = errorText(payload, words.pa_server_busy || String(answer.status));
        await put(item);
        outcome.waiting = pending.length - i;
        return outcome;
      } else {
        item.state = "failed";
        item.error = errorText(payload, String(answer.status));
        outcome.failed += 1;
      }
      await put(item);
    }
    return outcome;
  }

  window.patrolQueue = {add, all, sync, markAllWaiting, addPoint, points, gpx};
}());
