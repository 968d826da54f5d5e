/* The patrol app's service worker, served at /sw.js (root scope) by geo_service/web/patrol_app.py,
   which puts `self.PATROL_SW = {workbox, shell, page, version}` before this text.

   Built on Workbox (pinned in package.json, served under /vendor, never from a CDN):
   - the app shell (Leaflet, the page's script and style files) is precached at install;
   - the page itself (/patrol) is fetched network first and kept, so it opens offline;
   - the GeoJSON the page draws (/api/collections/... by bbox, /api/routes...) is fetched
     network first (a few seconds, then the copy kept from the last time online).
   Reports are not sent from here: the page queues them in IndexedDB (static/patrol/queue.js). */
/* global importScripts, workbox */
"use strict";

const CONFIG = self.PATROL_SW;
importScripts(CONFIG.workbox["workbox-sw"]);
workbox.setConfig({debug: false, modulePathCb: (name) => CONFIG.workbox[name]});

// Touch every module now: a worker may only import scripts while it is first evaluated.
const {core, routing, strategies, precaching} = workbox;

const PAGES = `patrol-pages-${CONFIG.version}`;
const DATA = "patrol-data";
const MATCH = {ignoreVary: true};

core.setCacheNameDetails({prefix: "patrol"});
self.skipWaiting();
core.clientsClaim();

precaching.precacheAndRoute(CONFIG.shell.map((url) => ({url, revision: null})));
precaching.cleanupOutdatedCaches();

const pageStrategy = new strategies.NetworkFirst({
  cacheName: PAGES, networkTimeoutSeconds: 6, matchOptions: {ignoreVary: true, ignoreSearch: true},
});
routing.registerRoute(({url, request}) => request.method === "GET"
  && url.origin === self.location.origin && url.pathname === CONFIG.page, pageStrategy);

routing.registerRoute(({url, request}) => request.method === "GET"
  && url.origin === self.location.origin
  && (url.pathname.startsWith("/api/collections/") || url.pathname.startsWith("/api/routes")),
new strategies.NetworkFirst({cacheName: DATA, networkTimeoutSeconds: 6, matchOptions: MATCH}));

// Keep the page from the start: it is the one page a member opens with no signal.
self.addEventListener("install", (event) => {
  event.waitUntil(fetch(CONFIG.page, {credentials: "same-origin"}).then((response) => {
    // a redirect is the sign-in page: the page is then kept the first time it loads
    if (response.ok && !response.redirected) {
      return caches.open(PAGES).then((cache) => cache.put(CONFIG.page, response));
    }
    return undefined;
  }).catch(() => undefined));
});

// Old page caches (another shell version) go when this worker takes over.
self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((names) => Promise.all(names
    .filter((name) => name.startsWith("patrol-pages-") && name !== PAGES)
    .map((name) => caches.delete(name)))));
});
