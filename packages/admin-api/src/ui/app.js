// The page: sign-in, the list, the selected breaker, an operator's controls, and the live
// stream that keeps them current without a reload.

import { Announcer } from './announcer.js';
import { AdminApi, ApiError } from './api.js';
import { BreakerDetail } from './breaker-detail.js';
import { BreakerTable } from './breaker-table.js';
import { viewBreaker } from './breaker-view.js';
import { ConfirmDialog } from './confirm-dialog.js';
import { ConnectionStatus } from './connection-status.js';
import { Controls } from './controls.js';
import { byId, setText } from './dom.js';
import { EventStream } from './event-stream.js';
import { actionLabel, formatTime, isNewer, stateLabel, storeNow } from './format.js';

/**
 * @typedef {import('./types.d.ts').BreakerSnapshot} BreakerSnapshot
 * @typedef {import('./types.d.ts').Principal} Principal
 * @typedef {import('./sse.js').SseEvent} SseEvent
 * @typedef {import('./types.d.ts').TransitionEvent} TransitionEvent
 * @typedef {import('./types.d.ts').ReadyEvent} ReadyEvent
 * @typedef {{ snapshot: BreakerSnapshot, receivedAt: number }} Entry
 */

/** sessionStorage key of the token: this tab only, gone when it closes; never in a URL. */
const TOKEN_KEY = 'breakwater-admin-token';
/** The API's root: this module is served at `<root>ui/app.js`. */
const API_ROOT = new URL('../', import.meta.url);
const AUDIT_LIMIT = 50;
/**
 * How often the list is read again, ms: window counts change without a transition, so
 * without an event. Only while the tab is visible.
 */
const LIST_REFRESH_MS = 10_000;
/** Between two reads of a breaker whose deadline passed without a change, at most, ms. */
const MAX_DEADLINE_RETRY_MS = 30_000;

class Page {
  #signIn = byId('sign-in', HTMLElement);
  #signInForm = byId('sign-in-form', HTMLFormElement);
  #token = byId('token', HTMLInputElement);
  #signInError = byId('sign-in-error', HTMLParagraphElement);
  #dashboard = byId('dashboard', HTMLDivElement);
  #who = byId('who', HTMLDivElement);
  #listStatus = byId('list-status', HTMLParagraphElement);
  #breakersTitle = byId('breakers-title', HTMLHeadingElement);
  #announcer = new Announcer(byId('announcer', HTMLDivElement));
  #connection = new ConnectionStatus(byId('connection', HTMLParagraphElement), this.#announcer);
  #controlsSlot = byId('controls-slot', HTMLDivElement);
  #table = new BreakerTable(byId('breaker-rows', HTMLTableSectionElement), (name) => this.#select(name));
  #detail = new BreakerDetail();
  #confirm = new ConfirmDialog();

  /** @type {AdminApi | null} */
  #api = null;
  /** @type {EventStream | null} */
  #stream = null;
  /** @type {Controls | null} */
  #controls = null;
  /** @type {Map<string, Entry>} */
  #entries = new Map();
  /** @type {string | null} */
  #selected = null;
  /** Generation whose audit the detail panel shows. */
  #auditGeneration = -1;
  #auditLoading = false;
  /** @type {Map<string, { deadline: number, retryAt: number, delayMs: number }>} */
  #deadlines = new Map();
  /** Transitions replayed since the stream (re)opened that the page had not seen. */
  #missed = 0;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  #ticker;
  /** @type {ReturnType<typeof setInterval> | undefined} */
  #listRefresh;

  start() {
    this.#signInForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const token = this.#token.value.trim();
      if (token === '') {
        this.#showSignIn('Paste your admin API token.');
        return;
      }
      void this.#startSession(token, true);
    });
    byId('sign-out', HTMLButtonElement).addEventListener('click', () => this.#endSession(''));
    window.addEventListener('online', () => this.#stream?.reconnectNow());
    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (saved) void this.#startSession(saved, false);
    else this.#showSignIn('');
  }

  /**
   * @param {string} token
   * @param {boolean} typed  the person just signed in (focus moves to the list)
   */
  async #startSession(token, typed) {
    const api = new AdminApi(API_ROOT, token);
    /** @type {Principal} */
    let principal;
    try {
      principal = await api.whoami();
    } catch (err) {
      if (err instanceof ApiError && err.isAuthFailure) {
        sessionStorage.removeItem(TOKEN_KEY);
        this.#showSignIn(`The token was refused (${err.code}): ${err.message}`);
      } else {
        this.#showSignIn(`Could not check the token: ${err instanceof Error ? err.message : String(err)}`);
      }
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    this.#token.value = '';
    this.#api = api;
    this.#signIn.hidden = true;
    this.#dashboard.hidden = false;
    this.#who.hidden = false;
    setText(byId('who-name', HTMLElement), principal.name);
    setText(byId('who-role', HTMLSpanElement), principal.role);
    document.body.dataset.role = principal.role;
    this.#controls =
      principal.role === 'operator'
        ? new Controls(this.#controlsSlot, {
            api,
            confirm: this.#confirm,
            selected: () => this.#selectedTarget(),
            onDone: (action, snapshot) => this.#actionDone(action, snapshot),
            onAuthFailure: (err) => this.#authFailed(err),
          })
        : null;
    if (typed) this.#breakersTitle.focus();
    this.#ticker = setInterval(() => this.#tick(), 1_000);
    this.#listRefresh = setInterval(() => {
      if (document.visibilityState === 'visible') void this.#loadList();
    }, LIST_REFRESH_MS);
    // The list first, for a quick first paint (and a page that works even when the stream is refused);
    // the stream then opens with a snapshot of every breaker too.
    await this.#loadList();
    if (this.#api === api) this.#openStream(api);
  }

  /** @param {string} message why, shown on the sign-in form */
  #endSession(message) {
    this.#stream?.stop();
    this.#stream = null;
    clearInterval(this.#ticker);
    clearInterval(this.#listRefresh);
    sessionStorage.removeItem(TOKEN_KEY);
    this.#api = null;
    this.#entries.clear();
    this.#deadlines.clear();
    this.#announcer.forget();
    this.#selected = null;
    this.#controls = null;
    this.#controlsSlot.replaceChildren();
    this.#table.render([], null);
    this.#detail.hide();
    this.#who.hidden = true;
    this.#dashboard.hidden = true;
    delete document.body.dataset.role;
    this.#connection.reset();
    this.#showSignIn(message);
  }

  /** @param {string} message */
  #showSignIn(message) {
    this.#signIn.hidden = false;
    setText(this.#signInError, message);
    this.#token.setAttribute('aria-invalid', String(message !== ''));
    this.#token.focus();
  }

  /**
   * A 401 anywhere ends the session: the token expired or was rotated.
   * @param {unknown} err
   * @returns {boolean} whether it was one
   */
  #authFailed(err) {
    if (!(err instanceof ApiError && err.isAuthFailure)) return false;
    this.#endSession(`Signed out: the token was refused (${err.code}). Sign in again.`);
    return true;
  }

  async #loadList() {
    const api = this.#api;
    if (api === null) return;
    try {
      const { breakers, truncated } = await api.list();
      if (api !== this.#api) return;
      const listed = new Set(breakers.map((b) => b.name));
      for (const name of this.#entries.keys()) if (!listed.has(name)) this.#entries.delete(name);
      for (const snapshot of breakers) this.#apply(snapshot, false);
      setText(
        this.#listStatus,
        breakers.length === 0
          ? 'No breakers yet: a breaker appears once a pod has registered it.'
          : truncated
            ? `Showing the first ${breakers.length} breakers (the server lists at most that many).`
            : `${breakers.length} breaker${breakers.length === 1 ? '' : 's'}; window counts as of ${formatTime(
                Math.max(...breakers.map((b) => b.at)),
              )}.`,
      );
      this.#render();
    } catch (err) {
      if (!this.#authFailed(err)) setText(this.#listStatus, `The list could not be read: ${messageOf(err)}`);
    }
  }

  /** @param {AdminApi} api */
  #openStream(api) {
    this.#stream = new EventStream({
      url: api.url('v1/events'),
      headers: () => api.authHeaders(),
      onEvent: (event) => this.#onStreamEvent(event),
      onStatus: (status) => {
        if (status.state === 'open') this.#missed = 0;
        this.#connection.update(status);
      },
      onRefused: (refusal) => {
        if (refusal.status === 401) {
          this.#endSession(`Signed out: the token was refused (${refusal.code}). Sign in again.`);
        } else {
          this.#connection.offline(`Live updates refused: ${refusal.message}`);
        }
      },
    });
    this.#stream.start();
  }

  /**
   * The stream (GET /v1/events; its contract is in the package README): on every
   * (re)connection the transitions missed since Last-Event-ID (replayed), a snapshot of
   * every breaker, then `ready`; then live transitions, each with the breaker read after it.
   * @param {SseEvent} event
   */
  #onStreamEvent(event) {
    /** @type {any} */
    let data;
    try {
      data = JSON.parse(event.data);
    } catch {
      return;
    }
    switch (event.type) {
      case 'snapshot':
        this.#apply(data, true);
        break;
      case 'transition':
        this.#onTransition(data);
        break;
      case 'ready':
        this.#onReady(data);
        break;
      case 'removed':
        this.#entries.delete(data.name);
        break;
      default:
        return;
    }
    this.#render();
  }

  /** @param {TransitionEvent} body */
  #onTransition({ transition: t, snapshot, replayed }) {
    const change = `${t.name}: ${actionLabel(t.action)} by ${t.actor} (${stateLabel(t.from)} → ${stateLabel(t.to)})`;
    // A replay may repeat a transition the page had: only a new one counts as missed.
    const isNew = this.#announcer.change(t.name, t.generation, replayed ? `While disconnected, ${change}` : change);
    if (replayed && isNew) this.#missed += 1;
    // A replayed transition carries no snapshot: the opening's fresh snapshot follows it.
    if (snapshot !== null) this.#apply(snapshot, false);
    if (t.name === this.#selected) this.#auditGeneration = -1;
  }

  /** @param {ReadyEvent} ready */
  #onReady(ready) {
    // Three heartbeats missed in a row: the connection is dead even if no error says so.
    this.#stream?.setIdleTimeout(3 * ready.heartbeatMs);
    const followed = new Set(ready.breakers);
    for (const name of this.#entries.keys()) if (!followed.has(name)) this.#entries.delete(name);
    this.#connection.ready(ready, this.#missed);
  }

  /**
   * Keeps the newer snapshot of a breaker (generation, then time).
   * @param {BreakerSnapshot} snapshot
   * @param {boolean} announce  say a change of state out loud
   */
  #apply(snapshot, announce) {
    const previous = this.#entries.get(snapshot.name);
    if (!isNewer(snapshot, previous?.snapshot)) return;
    this.#entries.set(snapshot.name, { snapshot, receivedAt: performance.now() });
    if (previous === undefined) {
      // First sight: nothing to announce, and nothing older than this ever is.
      this.#announcer.known(snapshot.name, snapshot.generation);
    } else if (announce && previous.snapshot.state !== snapshot.state) {
      this.#announcer.change(
        snapshot.name,
        snapshot.generation,
        `${snapshot.name}: now ${stateLabel(snapshot.state)} (was ${stateLabel(previous.snapshot.state)})`,
      );
    }
  }

  #render() {
    const now = performance.now();
    const entries = [...this.#entries.values()].sort((a, b) =>
      a.snapshot.name < b.snapshot.name ? -1 : a.snapshot.name > b.snapshot.name ? 1 : 0,
    );
    this.#table.render(
      entries.map((e) => ({ snapshot: e.snapshot, storeNow: storeNow(e.snapshot, e.receivedAt, now) })),
      this.#selected,
    );
    if (this.#selected === null) return;
    const entry = this.#entries.get(this.#selected);
    if (entry === undefined) {
      this.#detail.gone();
      return;
    }
    this.#detail.update(entry.snapshot, storeNow(entry.snapshot, entry.receivedAt, now));
    if (entry.snapshot.generation !== this.#auditGeneration) void this.#loadAudit();
  }

  /** @param {string} name */
  #select(name) {
    this.#selected = name;
    this.#auditGeneration = -1;
    this.#detail.show(name);
    this.#controls?.reset();
    this.#render();
    this.#detail.focus();
  }

  /** @returns {{ name: string, storeNow: number } | null} */
  #selectedTarget() {
    const entry = this.#selected === null ? undefined : this.#entries.get(this.#selected);
    if (entry === undefined) return null;
    return { name: entry.snapshot.name, storeNow: storeNow(entry.snapshot, entry.receivedAt, performance.now()) };
  }

  async #loadAudit() {
    const api = this.#api;
    const name = this.#selected;
    if (api === null || name === null || this.#auditLoading) return;
    const generation = this.#entries.get(name)?.snapshot.generation ?? -1;
    this.#auditLoading = true;
    try {
      const { entries } = await api.audit(name, AUDIT_LIMIT);
      if (name !== this.#selected) return;
      this.#auditGeneration = generation;
      this.#detail.setAudit(entries);
    } catch (err) {
      if (this.#authFailed(err)) return;
      this.#auditGeneration = generation;
      this.#detail.auditFailed(messageOf(err));
    } finally {
      this.#auditLoading = false;
    }
    // A change that arrived while the audit was loading.
    if (this.#selected !== null && this.#entries.get(this.#selected)?.snapshot.generation !== this.#auditGeneration) {
      void this.#loadAudit();
    }
  }

  /**
   * @param {import('./controls.js').Action} action
   * @param {BreakerSnapshot} snapshot
   */
  #actionDone(action, snapshot) {
    this.#apply(snapshot, false);
    this.#render();
    const done = {
      'force-open': 'forced open',
      'force-close': 'forced closed',
      clear: 'override cleared',
      reset: 'reset',
    }[action];
    this.#announcer.known(snapshot.name, snapshot.generation);
    this.#announcer.say(`${snapshot.name} ${done}: now ${stateLabel(snapshot.state)}.`);
  }

  /** Every second: countdowns, and a read of any breaker whose deadline has passed. */
  #tick() {
    this.#render();
    this.#connection.tick();
    const now = performance.now();
    for (const entry of this.#entries.values()) {
      const { snapshot } = entry;
      const deadline = viewBreaker(snapshot, storeNow(snapshot, entry.receivedAt, now)).nextDeadline;
      if (deadline === null || deadline > storeNow(snapshot, entry.receivedAt, now)) continue;
      this.#refreshAfterDeadline(snapshot.name, deadline, now);
    }
  }

  /**
   * A deadline (override end, cooldown end, probe lease end) passed. The store applies such
   * changes when it is next read or written, and the pods usually do that; this read makes
   * sure the page shows it even when no pod is running. Repeated reads of one deadline back off.
   * @param {string} name
   * @param {number} deadline
   * @param {number} now  page clock
   */
  #refreshAfterDeadline(name, deadline, now) {
    const api = this.#api;
    if (api === null) return;
    const known = this.#deadlines.get(name);
    if (known && known.deadline === deadline && now < known.retryAt) return;
    const delayMs = known && known.deadline === deadline ? Math.min(known.delayMs * 2, MAX_DEADLINE_RETRY_MS) : 1_000;
    this.#deadlines.set(name, { deadline, retryAt: now + delayMs, delayMs });
    api.breaker(name).then(
      (snapshot) => {
        this.#apply(snapshot, true);
        this.#render();
      },
      (err) => {
        if (err instanceof ApiError && err.code === 'BREAKER_NOT_FOUND') {
          this.#entries.delete(name);
          this.#render();
        } else {
          this.#authFailed(err);
        }
      },
    );
  }
}

/** @param {unknown} err */
function messageOf(err) {
  return err instanceof Error ? err.message : String(err);
}

new Page().start();
