/**
 * The service worker (`/sw.js`: app shell offline, push notices) and this device's Web Push
 * subscription. A push says only which kind of thing happened; the worker shows its own fixed
 * text (no content, no pseudonym) and stays quiet while a Peerhaven window is visible.
 *
 * @module app/push
 */

/** Register the worker; resolves to the registration, or null where workers are unavailable. */
export async function registerWorker() {
  if (!('serviceWorker' in navigator)) return null;
  try {
    return await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  } catch {
    return null; // e.g. a private window that refuses storage: the app works without it
  }
}

/** Whether this browser can get pushes at all. */
export function pushSupported() {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

/** 'granted' | 'denied' | 'default' | 'unsupported'. */
export function notificationPermission() {
  return pushSupported() ? Notification.permission : 'unsupported';
}

/** The current subscription of this browser, or null. */
export async function currentSubscription() {
  if (!pushSupported()) return null;
  const registration = await navigator.serviceWorker.ready;
  return registration.pushManager.getSubscription();
}

/**
 * Ask for permission (call from a click), subscribe with the server's key, register it.
 * Returns true when notices will arrive; throws ApiError when the server refused.
 */
export async function enablePush(api) {
  if (!pushSupported()) return false;
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') return false;
  const registration = await navigator.serviceWorker.ready;
  const { public_key: key } = await api.pushKey();
  const subscription = await registration.pushManager.getSubscription()
    ?? await registration.pushManager.subscribe({
      userVisibleOnly: true, applicationServerKey: fromBase64Url(key),
    });
  await api.subscribePush(subscription.toJSON());
  return true;
}

/** Re-register an existing subscription after login (keys may have rotated; harmless if not). */
export async function refreshPush(api) {
  const subscription = await currentSubscription().catch(() => null);
  if (subscription && Notification.permission === 'granted') {
    await api.subscribePush(subscription.toJSON()).catch(() => {});
  }
}

/** Stop notices on this device: unsubscribe in the browser (the server drops it on 404/410). */
export async function disablePush(api) {
  const subscription = await currentSubscription();
  if (subscription) await subscription.unsubscribe();
  for (const found of await api.pushSubscriptions().catch(() => [])) {
    await api.unsubscribePush(found.id).catch(() => {});
  }
}

/** A notice from the page itself (a hidden tab with its socket still open). */
export async function showLocalNotice(body) {
  if (notificationPermission() !== 'granted') return;
  const registration = await navigator.serviceWorker.getRegistration();
  await registration?.showNotification('Peerhaven', {
    body, tag: 'peerhaven-message', icon: '/static/img/icon-192.png', data: { kind: 'message' },
  });
}

function fromBase64Url(text) {
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}
