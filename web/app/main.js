/**
 * The app shell: loads libsodium, opens the vault, logs in with the device key, keeps the
 * relay connected, and shows one screen at a time (hash routes, so Back works):
 *
 *     #/welcome   redeem an invite, create the identity      screens/welcome.js
 *     #/unlock    passphrase                                  screens/unlock.js
 *     #/profile   specialty, experience, languages            screens/profile.js
 *     #/home      ask for support, supporter inbox, rooms     screens/home.js
 *     #/request/ID  honest waiting status                     screens/waiting.js
 *     #/room/ID   the chat                                    screens/room.js
 *
 * @module app/main
 */

import { ready } from '../js/protocol/sodium.js';
import { Api } from './api.js';
import { setUpCrisis } from './crisis.js';
import { Device } from './device.js';
import { h } from './dom.js';
import { Relay, relayUrl } from './relay.js';
import { Vault } from './vault.js';
import * as home from './screens/home.js';
import * as moderator from './screens/moderator.js';
import * as profile from './screens/profile.js';
import * as room from './screens/room.js';
import * as unlock from './screens/unlock.js';
import * as waiting from './screens/waiting.js';
import * as welcome from './screens/welcome.js';

const STATUS_TEXT = {
  connecting: 'Connecting…',
  online: 'Connected',
  reconnecting: 'Reconnecting…',
};

/** What every screen gets. */
export class App {
  constructor() {
    this.api = new Api();
    this.vault = null;
    this.device = null;
    this.relay = null;
    this.me = null;
    this.main = document.getElementById('main');
    this.cleanup = null;
  }

  go(hash) {
    if (location.hash === hash) this.route();
    else location.hash = hash;
  }

  /** After unlocking or registering: log in, connect, show where the user was going. */
  async signIn() {
    this.me = await this.device.login(this.api);
    this.api.relogin = async () => { this.me = await this.device.login(this.api); };
    await this.device.save(this.vault);
    if (this.relay === null) {
      this.relay = new Relay({
        api: this.api, vault: this.vault, url: relayUrl(location),
        relogin: () => this.api.relogin(),
      });
      this.relay.addEventListener('status', (e) => showStatus(e.detail));
      showStatus(this.relay.status);
      await this.relay.start();
    }
  }

  async route() {
    const [, name = '', param = ''] = location.hash.match(/^#\/([a-z]*)\/?(.*)$/) ?? [];
    if (this.vault.state === 'empty' || (this.vault.state === 'open' && !this.device?.accountId)) {
      return this.show(welcome, {});
    }
    if (this.vault.state === 'locked') return this.show(unlock, {});
    if (!this.api.loggedIn) {
      try {
        this.signingIn ??= this.signIn().finally(() => { this.signingIn = null; });
        await this.signingIn;
      } catch (error) {
        return this.show(signInFailed, { error });
      }
    }
    if (this.me.role === 'moderator') { // the console, and the private rooms it opens
      return name === 'room' && param ? this.show(room, { roomId: param }) : this.show(moderator, {});
    }
    if (!['clinician', 'supporter'].includes(this.me.role)) return this.show(notForRole, {});
    if (name === 'profile' || !(await this.hasProfile())) return this.show(profile, {});
    if (name === 'request' && param) return this.show(waiting, { requestId: param });
    if (name === 'room' && param) return this.show(room, { roomId: param });
    return this.show(home, {});
  }

  async hasProfile() {
    if (this.profileSeen) return true;
    try {
      await this.api.profile();
      this.profileSeen = true;
    } catch (error) {
      if (error.status !== 404) throw error;
    }
    return Boolean(this.profileSeen);
  }

  async show(screen, params) {
    this.cleanup?.();
    this.cleanup = null;
    this.shown = (this.shown ?? 0) + 1;
    const token = this.shown;
    const view = await screen.render(this, params);
    if (token !== this.shown) { // another screen was asked for while this one loaded
      view.cleanup?.();
      return;
    }
    this.main.replaceChildren(view.element);
    this.cleanup = view.cleanup ?? null;
    document.title = `${view.title} · Peerhaven`;
    const heading = this.main.querySelector('h1');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
  }
}

function showStatus(status) {
  const el = document.getElementById('connection');
  el.textContent = STATUS_TEXT[status] ?? '';
  el.dataset.state = status;
}

const signInFailed = {
  render(app, { error }) {
    return {
      title: 'Cannot sign in',
      element: h('section', { class: 'screen' },
        h('h1', { text: 'Cannot sign in' }),
        h('p', { text: error?.detail || 'The server cannot be reached right now.' }),
        h('button', { type: 'button', class: 'primary', text: 'Try again',
          onclick: () => app.route() })),
    };
  },
};

const notForRole = {
  render() {
    return {
      title: 'Peerhaven',
      element: h('section', { class: 'screen' },
        h('h1', { text: 'Nothing to do here yet' }),
        h('p', { text: 'This app is for clinicians and peer supporters. Administrators use the '
          + 'operator tools.' })),
    };
  },
};

async function boot() {
  const app = new App();
  await ready();
  setUpCrisis(app.api);
  app.vault = await Vault.open();
  if (app.vault.state === 'open') app.device = await Device.load(app.vault);
  window.addEventListener('hashchange', () => app.route());
  await app.route();
}

boot().catch(() => {
  document.getElementById('main').replaceChildren(h('section', { class: 'screen' },
    h('h1', { text: 'Peerhaven could not start' }),
    h('p', { text: 'This browser may not support what Peerhaven needs (IndexedDB, WebAssembly, '
      + 'modules), or private browsing blocks storage.' })));
});
