/*
 * Peerhaven's service worker (classic script, served at /sw.js by server/api/routes/web.py,
 * which puts `VERSION` and `SHELL` — every file of the app shell, with a hash of their contents
 * — in front of this text).
 *
 * - The app shell is cached on install, so the app opens with no network and always shows the
 *   crisis lines: pages are network-first (3 s) with the cached page as fallback, static files
 *   come from the cache of this version, and the crisis lines are network-first with the last
 *   copy as fallback. Nothing else of the API is cached: no token, no envelope is ever stored
 *   here.
 * - Pushes (server/push) carry only a kind; the text shown is this file's own, so nothing the
 *   server sends can put content on a lock screen. No notice while a Peerhaven window is
 *   visible: the page tells the person itself.
 */
/* global VERSION, SHELL */

const CACHE = `peerhaven-shell-${VERSION}`;
const CRISIS = '/api/v1/crisis-resources';
const PAGE_TIMEOUT_MS = 3000;

const NOTICES = {
  en: {
    offer: 'You have a new request for support',
    matched: 'A supporter is ready to talk with you',
    message: 'New message',
    flag: 'A report needs a moderator',
    other: 'Something new in Peerhaven',
  },
  es: {
    offer: 'Tienes una nueva solicitud de apoyo',
    matched: 'Una persona de apoyo está lista para hablar contigo',
    message: 'Mensaje nuevo',
    flag: 'Un reporte necesita a un moderador',
    other: 'Hay novedades en Peerhaven',
  },
};

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(['/', ...SHELL]);
    try {
      await cache.add(CRISIS);
    } catch {
      // the built-in lines of the page stay until the server is reached
    }
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('peerhaven-shell-') && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    event.respondWith(page(request));
  } else if (url.pathname === CRISIS) {
    event.respondWith(networkFirst(request, CRISIS));
  } else if (url.pathname.startsWith('/static/') || url.pathname === '/manifest.webmanifest') {
    event.respondWith(cacheFirst(request));
  }
});

async function page(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await withTimeout(fetch(request), PAGE_TIMEOUT_MS);
    if (response.ok) await cache.put('/', response.clone());
    return response;
  } catch {
    return (await cache.match('/')) ?? Response.error();
  }
}

async function networkFirst(request, key) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(key, response.clone());
    return response;
  } catch {
    return (await cache.match(key)) ?? Response.error();
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const url = new URL(request.url);
  return (await cache.match(url.pathname)) ?? fetch(request);
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); },
      (error) => { clearTimeout(timer); reject(error); });
  });
}

function noticeText(kind) {
  const lang = (self.navigator.language || 'en').slice(0, 2);
  const texts = NOTICES[lang] ?? NOTICES.en;
  return texts[kind] ?? texts.other;
}

self.addEventListener('push', (event) => {
  let kind = 'other';
  try {
    const data = event.data ? event.data.json() : {};
    if (typeof data.kind === 'string' && data.kind in NOTICES.en) kind = data.kind;
  } catch {
    // not JSON: show the generic notice
  }
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const visible = windows.filter((client) => client.visibilityState === 'visible');
    for (const client of windows) client.postMessage({ type: 'push', kind });
    if (visible.length > 0) return;
    await self.registration.showNotification('Peerhaven', {
      body: noticeText(kind),
      tag: `peerhaven-${kind}`,
      renotify: kind !== 'message',
      icon: '/static/img/icon-192.png',
      data: { kind },
    });
  })());
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    for (const client of windows) {
      if ('focus' in client) return client.focus();
    }
    return self.clients.openWindow('/#/home');
  })());
});
