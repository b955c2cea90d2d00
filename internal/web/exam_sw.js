// The exam runner's service worker (scope /exam/). The server puts VERSION
// and PRECACHE (the shell and its hashed static files) above this line.
//
// - The shell (/exam/) is fetched from the network and kept; offline, the
//   kept copy is served, so reloading the page mid-exam still works.
// - Static files are content-addressed: served from the cache first.
// - The candidate's paper (GET /api/v1/exam/paper) is fetched from the
//   network and kept per attempt; offline, the kept copy is served.
// - Nothing else is touched: answers, submissions, sign-in and state always
//   go to the network, never to or from the cache.

const CACHE = 'vidya-exam-' + VERSION;

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith('vidya-exam-') && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

// attemptOf reads the attempt id from a ticket (bytes 16–24 of the
// base64url token), so one candidate's kept paper is never shown to another
// on a shared machine.
function attemptOf(req) {
  const m = /^Exam\s+([A-Za-z0-9_-]+)$/.exec(req.headers.get('Authorization') || '');
  if (!m) return '';
  try {
    const bin = atob(m[1].replace(/-/g, '+').replace(/_/g, '/'));
    let n = 0n;
    for (let i = 16; i < 24; i++) n = (n << 8n) | BigInt(bin.charCodeAt(i));
    return String(n);
  } catch {
    return '';
  }
}

async function networkFirst(req, key) {
  const cache = await caches.open(CACHE);
  try {
    const res = await fetch(req);
    if (res.ok) await cache.put(key, res.clone());
    return res;
  } catch (err) {
    const hit = await cache.match(key);
    if (hit) return hit;
    throw err;
  }
}

async function cacheFirst(req) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(req);
  if (hit) return hit;
  const res = await fetch(req);
  if (res.ok && /\.[0-9a-f]{10}\.[a-z0-9]+$/.test(new URL(req.url).pathname)) await cache.put(req, res.clone());
  return res;
}

// The runner asks for files it will need offline (KaTeX, when the paper has
// maths); only this origin's content-addressed static files are taken.
self.addEventListener('message', (e) => {
  const urls = (e.data?.keep || []).filter((u) => typeof u === 'string' && /^\/static\/[\w./-]+\.[0-9a-f]{10}\.[a-z0-9]+$/.test(u));
  if (urls.length) e.waitUntil(caches.open(CACHE).then((c) => c.addAll(urls)).catch(() => {}));
});

self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === '/exam/') {
    e.respondWith(networkFirst(req, '/exam/'));
  } else if (url.pathname.startsWith('/static/')) {
    e.respondWith(cacheFirst(req));
  } else if (url.pathname === '/api/v1/exam/paper') {
    const a = attemptOf(req);
    if (a) e.respondWith(networkFirst(req, '/exam/kept/paper/' + a));
  }
});
