/* The patrol app's GPS track: "start shift" follows the phone's position (watchPosition) and
   keeps each fix in IndexedDB (queue.js, store "points") at most every few seconds; the shift
   in progress is remembered in localStorage, so a reload or a closed tab goes on recording
   with the fixes kept. "End shift" queues the track; the sync sends it first.

   window.patrolTrack = {start, stop, active}; #pa-track data-points="<fixes this shift>". */
/* global patrolQueue */
(function () {
  "use strict";

  const KEY = "patrol-shift";
  const EVERY_MS = 3000;  // at most one fix every 3 s
  let watch = null;
  let last = 0;
  let count = 0;
  let onChange = () => undefined;

  function active() {
    try { return JSON.parse(localStorage.getItem(KEY) || "null"); } catch (err) { return null; }
  }

  let latest = null;
  let timer = null;

  async function write() {
    timer = null;
    const shift = active();
    const position = latest;
    latest = null;
    if (!shift || !position) return;
    last = Date.now();
    await patrolQueue.addPoint({shift: shift.id, t: new Date(position.timestamp || last)
      .toISOString(), lat: position.coords.latitude, lon: position.coords.longitude,
                                acc: position.coords.accuracy});
    count += 1;
    onChange({recording: true, points: count});
  }

  /** Keep the newest fix: at once, or when the few seconds since the last one have passed. */
  function keep(position) {
    latest = position;
    if (timer !== null) return;
    timer = setTimeout(write, Math.max(0, last + EVERY_MS - Date.now()));
  }

  function follow(onError) {
    if (watch !== null || !navigator.geolocation) return;
    watch = navigator.geolocation.watchPosition(keep, onError,
      {enableHighAccuracy: true, maximumAge: 0, timeout: 30000});
  }

  /** Go on with a shift left running (after a reload): its fixes are already kept. */
  async function resume(listener, onError) {
    onChange = listener;
    const shift = active();
    if (!shift) { onChange({recording: false, points: 0}); return; }
    count = (await patrolQueue.points(shift.id)).length;
    onChange({recording: true, points: count});
    follow(onError);
  }

  function start(grids, onError) {
    if (active()) return;
    localStorage.setItem(KEY, JSON.stringify({id: crypto.randomUUID(), grids,
                                              started: new Date().toISOString()}));
    count = 0;
    last = 0;
    onChange({recording: true, points: 0});
    follow(onError);
  }

  /** End the shift: stop following and queue its track (nothing with fewer than 2 fixes). */
  async function stop() {
    const shift = active();
    if (watch !== null) navigator.geolocation.clearWatch(watch);
    watch = null;
    if (!shift) return 0;
    const fixes = (await patrolQueue.points(shift.id)).length;
    if (fixes >= 2) await patrolQueue.add({shift: shift.id, grids: shift.grids}, "track", shift.id);
    localStorage.removeItem(KEY);
    onChange({recording: false, points: 0});
    return fixes;
  }

  window.patrolTrack = {start, stop, active, resume};
}());
