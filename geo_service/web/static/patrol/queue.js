/* The patrol app's report queue in IndexedDB: each report waits there with its idempotency key
   until POST /api/hazards has stored it. Sending the same key twice stores it once (the server
   answers the replay with 200), so a sync cut in the middle is simply run again.

   window.patrolQueue = {add, all, sync, markAllWaiting}; states: waiting, sending, sent, failed. */
(function () {
  "use strict";

  const DB_NAME = "patrol-app";
  const STORE = "reports";
  let opened = null;

  function request(req) {
    return new Promise((resolve, reject) => {
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  function database() {
    if (!opened) {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => {
        const store = req.result.createObjectStore(STORE, {keyPath: "key"});
        store.createIndex("created", "created");
      };
      opened = request(req);
    }
    return opened;
  }

  async function store(mode) {
    const db = await database();
    return db.transaction(STORE, mode).objectStore(STORE);
  }

  /** Queue one report body ({category, description, lat, lon}); returns the stored item. */
  async function add(body) {
    const item = {key: crypto.randomUUID(), created: new Date().toISOString(), body,
                  state: "waiting", error: "", status: 0, hazard: null, sent: null};
    await request((await store("readwrite")).put(item));
    return item;
  }

  async function put(item) {
    await request((await store("readwrite")).put(item));
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
        answer = await fetch(options.url, {
          method: "POST", credentials: "same-origin",
          headers: {"Content-Type": "application/json", "Idempotency-Key": item.key,
                    "X-CSRF-Token": token, "Accept": "application/json"},
          body: JSON.stringify(item.body),
        });
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
        item.hazard = payload && payload.id;
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

  window.patrolQueue = {add, all, sync, markAllWaiting};
}());
