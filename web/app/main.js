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
 *     (institution admins) invites, credentials, dashboard screens/admin.js
 *     #/network   (network admins) institutions, rota, peers  screens/network.js
 *     #/institution/ID  (network admins) one institution      screens/admin.js
 *
 * @module app/main
 */

import { ready } from '../js/protocol/sodium.js';
import { Api } from './api.js';
import { crisisList, labelCrisis, setUpCrisis } from './crisis.js';
import { Device } from './device.js';
import { friendlyError, h } from './dom.js';
import { locale, t } from './i18n.js';
import { refreshPush, registerWorker } from './push.js';
import { labelQuickExit, setUpQuickExit } from './quickexit.js';
import { Unread, badgedTitle } from './unread.js';
import { Relay, relayUrl } from './relay.js';
import { Vault } from './vault.js';
import * as admin from './screens/admin.js';
import * as home from './screens/home.js';
import * as moderator from './screens/moderator.js';
import * as network from './screens/network.js';
import * as profile from './screens/profile.js';
import * as room from './screens/room.js';
import * as unlock from './screens/unlock.js';
import * as waiting from './screens/waiting.js';
import * as welcome from './screens/welcome.js';


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
    this.unread = null;
    this.baseTitle = 'Peerhaven';
  }

  /** After the locale changed: the header's words, then the screen again. */
  relabel() {
    labelCrisis();
    labelQuickExit(document.getElementById('quick-exit'));
    showStatus(this.relay);
    this.route();
  }

  /** The tab title: the screen's, with the number of unread messages in front. */
  updateTitle() {
    document.title = badgedTitle(this.baseTitle, this.unread?.total() ?? 0);
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
      this.relay.addEventListener('status', () => showStatus(this.relay));
      showStatus(this.relay);
      this.unread = new Unread(this.vault);
      await this.unread.load();
      this.unread.addEventListener('change', () => this.updateTitle());
      this.relay.addEventListener('room', async (event) => {
        const found = await this.relay.room(event.detail);
        if (found) await this.unread.update(found);
      });
      await this.relay.start();
    }
    refreshPush(this.api);
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
    if (this.me.role === 'network_admin') return this.showNetworkAdmin(name, param);
    if (this.me.role === 'institution_admin') return this.show(admin, {});
    if (!['clinician', 'supporter'].includes(this.me.role)) return this.show(notForRole, {});
    if (name === 'profile' || !(await this.hasProfile())) return this.show(profile, {});
    if (name === 'request' && param) return this.show(waiting, { requestId: param });
    if (name === 'room' && param) return this.show(room, { roomId: param });
    return this.show(home, {});
  }

  /** The network screen, or one of the network's institutions (`#/institution/ID`). */
  async showNetworkAdmin(name, param) {
    if (name !== 'institution' || !param) return this.show(network, {});
    let found = null;
    try {
      found = await network.institution(this, decodeURIComponent(param));
    } catch {
      return this.show(network, {}); // it says what could not be loaded
    }
    return found ? this.show(admin, { institution: found }) : this.show(notInNetwork, {});
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
    this.baseTitle = `${view.title} · Peerhaven`;
    this.updateTitle();
    const heading = this.main.querySelector('h1');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
  }
}

/** The header's connection line: the browser's own offline flag wins over the socket's. */
function showStatus(relay) {
  const el = document.getElementById('connection');
  const status = navigator.onLine ? relay?.status ?? '' : 'offline';
  el.textContent = status ? t(`status.${status}`) : '';
  el.dataset.state = status;
}

// Offline (or the server down): say so plainly, keep the crisis lines in view, retry by itself.
const signInFailed = {
  render(app, { error }) {
    const retry = () => app.route();
    const timer = setInterval(() => { if (navigator.onLine) retry(); }, 10_000);
    window.addEventListener('online', retry);
    return {
      title: t('signin.failedTitle'),
      cleanup: () => {
        clearInterval(timer);
        window.removeEventListener('online', retry);
      },
      element: h('section', { class: 'screen' },
        h('h1', { text: t('signin.failedTitle') }),
        h('p', { text: error?.status ? friendlyError(error) : t('signin.failedBody') }),
        h('button', { type: 'button', class: 'primary', text: t('signin.retry'), onclick: retry }),
        h('p', { text: t('crisis.now') }),
        crisisList()),
    };
  },
};

const notInNetwork = {
  render() {
    return {
      title: t('network.notFoundTitle'),
      element: h('section', { class: 'screen' },
        h('h1', { text: t('network.notFoundTitle') }),
        h('p', { text: t('network.notFoundBody') }),
        h('p', {}, h('a', { href: '#/network', class: 'button', text: t('admin.backToNetwork') }))),
    };
  },
};

const notForRole = {
  render() {
    return {
      title: 'Peerhaven',
      element: h('section', { class: 'screen' },
        h('h1', { text: t('app.notForRoleTitle') }),
        h('p', { text: t('app.notForRoleBody') })),
    };
  },
};

async function boot() {
  const app = new App();
  document.documentElement.lang = locale();
  registerWorker();
  setUpQuickExit(document.getElementById('quick-exit'), () => {
    app.relay?.stop();
    app.vault?.lock();
  });
  const onLine = () => {
    showStatus(app.relay);
    if (navigator.onLine) app.relay?.reconnectNow();
  };
  window.addEventListener('online', onLine);
  window.addEventListener('offline', onLine);
  // Before libsodium: the crisis lines must not wait for anything.
  await setUpCrisis(app.api);
  await ready();
  app.vault = await Vault.open();
  if (app.vault.state === 'open') app.device = await Device.load(app.vault);
  window.addEventListener('hashchange', () => app.route());
  await app.route();
}

boot().catch(() => {
  document.getElementById('main').replaceChildren(h('section', { class: 'screen' },
    h('h1', { text: t('app.failedTitle') }),
    h('p', { text: t('app.failedBody') })));
});
