/**
 * Is this device offline? Either the browser says so (`navigator.onLine`, told at once) or the
 * relay's socket is down. Screens subscribe with {@link watchConnectivity}; the relay retries
 * by itself, and reconnects at once when the browser is back online.
 *
 * @module app/connectivity
 */

/** @param {{status: string}|null} relay */
export function isOffline(relay) {
  return !navigator.onLine || relay?.status === 'reconnecting';
}

/**
 * Call `onChange(offline)` now and on every change. Returns the function that stops watching.
 * @param {EventTarget & {status: string}|null} relay
 * @param {(offline: boolean) => void} onChange
 */
export function watchConnectivity(relay, onChange) {
  let last = null;
  const check = () => {
    const offline = isOffline(relay);
    if (offline !== last) {
      last = offline;
      onChange(offline);
    }
  };
  window.addEventListener('online', check);
  window.addEventListener('offline', check);
  relay?.addEventListener('status', check);
  check();
  return () => {
    window.removeEventListener('online', check);
    window.removeEventListener('offline', check);
    relay?.removeEventListener('status', check);
  };
}
