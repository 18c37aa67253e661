// An operator's controls: force open / force closed (reason + TTL), clear, reset. Each asks
// for confirmation first. The page clones these from a <template> for operators only.

import { byId, setText } from './dom.js';
import { formatSeconds, formatTime, MAX_TTL_SECONDS, MIN_TTL_SECONDS, parseTtlSeconds } from './format.js';

/**
 * @typedef {import('./types.d.ts').BreakerSnapshot} BreakerSnapshot
 * @typedef {import('./api.js').AdminApi} AdminApi
 * @typedef {import('./confirm-dialog.js').ConfirmDialog} ConfirmDialog
 * @typedef {'force-open' | 'force-close' | 'clear' | 'reset'} Action
 */

export class Controls {
  #api;
  #confirm;
  #selected;
  #onDone;
  #onAuthFailure;
  /** @type {HTMLFormElement} */
  #form;
  /** @type {HTMLInputElement} */
  #reason;
  /** @type {HTMLInputElement} */
  #ttl;
  /** @type {HTMLParagraphElement} */
  #error;
  #busy = false;

  /**
   * @param {HTMLElement} slot  where the controls go
   * @param {object} deps
   * @param {AdminApi} deps.api
   * @param {ConfirmDialog} deps.confirm
   * @param {() => { name: string, storeNow: number } | null} deps.selected  the breaker acted on
   * @param {(action: Action, snapshot: BreakerSnapshot) => void} deps.onDone
   * @param {(error: unknown) => boolean} deps.onAuthFailure  true when it handled the error (signed out)
   */
  constructor(slot, deps) {
    this.#api = deps.api;
    this.#confirm = deps.confirm;
    this.#selected = deps.selected;
    this.#onDone = deps.onDone;
    this.#onAuthFailure = deps.onAuthFailure;
    const template = byId('controls-template', HTMLTemplateElement);
    slot.replaceChildren(template.content.cloneNode(true));
    this.#form = byId('action-form', HTMLFormElement);
    this.#reason = byId('reason', HTMLInputElement);
    this.#ttl = byId('ttl', HTMLInputElement);
    this.#error = byId('action-error', HTMLParagraphElement);
    this.#form.addEventListener('submit', (event) => event.preventDefault());
    for (const button of this.#form.querySelectorAll('button[data-action]')) {
      if (!(button instanceof HTMLButtonElement)) continue;
      button.addEventListener('click', () => void this.#run(/** @type {Action} */ (button.dataset.action), button));
    }
    for (const input of [this.#reason, this.#ttl]) {
      input.addEventListener('input', () => {
        input.removeAttribute('aria-invalid');
        setText(this.#error, '');
      });
    }
  }

  /** Clears the message of the last action (another breaker was selected). */
  reset() {
    setText(this.#error, '');
    this.#reason.removeAttribute('aria-invalid');
    this.#ttl.removeAttribute('aria-invalid');
  }

  /**
   * @param {Action} action
   * @param {HTMLButtonElement} button
   */
  async #run(action, button) {
    if (this.#busy) return;
    const target = this.#selected();
    if (target === null) return;
    setText(this.#error, '');
    const reason = this.#reason.value.trim();
    if (reason === '' && action !== 'clear')
      return this.#invalid(this.#reason, 'Give a reason: it goes into the audit.');
    if (reason.length > 500) return this.#invalid(this.#reason, 'A reason is at most 500 characters.');
    let ttlSeconds = 0;
    if (action === 'force-open' || action === 'force-close') {
      const parsed = parseTtlSeconds(this.#ttl.value);
      if (parsed === undefined || parsed < MIN_TTL_SECONDS || parsed > MAX_TTL_SECONDS) {
        return this.#invalid(this.#ttl, 'The override lasts 10s to 24h: e.g. 90s, 15m, 1h30m.');
      }
      ttlSeconds = parsed;
    }
    const { name, storeNow } = target;
    const question = describe(action, name, reason, ttlSeconds, storeNow);
    if (!(await this.#confirm.ask(question, button))) return;

    this.#busy = true;
    this.#form.setAttribute('aria-busy', 'true');
    try {
      const snapshot =
        action === 'force-open' || action === 'force-close'
          ? await this.#api.force(name, action, { reason, ttlSeconds })
          : action === 'clear'
            ? await this.#api.clearOverride(name, reason === '' ? 'override cleared from the web page' : reason)
            : await this.#api.reset(name, reason);
      this.#reason.value = '';
      this.#onDone(action, snapshot);
    } catch (err) {
      if (!this.#onAuthFailure(err)) {
        setText(this.#error, `${question.confirmLabel} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    } finally {
      this.#busy = false;
      this.#form.removeAttribute('aria-busy');
    }
  }

  /**
   * @param {HTMLInputElement} input
   * @param {string} message
   */
  #invalid(input, message) {
    input.setAttribute('aria-invalid', 'true');
    setText(this.#error, message);
    input.focus();
  }
}

/**
 * What the confirmation says.
 * @param {Action} action
 * @param {string} name
 * @param {string} reason
 * @param {number} ttlSeconds
 * @param {number} storeNow
 */
function describe(action, name, reason, ttlSeconds, storeNow) {
  /** @type {[string, string][]} */
  const facts = [
    ['Breaker', name],
    ['Reason', reason === '' ? '(none given)' : reason],
  ];
  if (action === 'force-open' || action === 'force-close') {
    facts.push(['For', `${formatSeconds(ttlSeconds)}, until about ${formatTime(storeNow + ttlSeconds * 1000)}`]);
  }
  switch (action) {
    case 'force-open':
      return {
        title: `Force ${name} open?`,
        summary: `Every pod refuses calls through ${name} until the override ends or is cleared.`,
        facts,
        confirmLabel: 'Force open',
        danger: true,
      };
    case 'force-close':
      return {
        title: `Force ${name} closed?`,
        summary: `Every pod lets calls through ${name}, whatever the failures, until the override ends or is cleared.`,
        facts,
        confirmLabel: 'Force closed',
        danger: true,
      };
    case 'clear':
      return {
        title: `Clear the override on ${name}?`,
        summary: `${name} goes back to its automatic state at once.`,
        facts,
        confirmLabel: 'Clear override',
        danger: false,
      };
    default:
      return {
        title: `Reset ${name}?`,
        summary: `The automatic state goes to closed and the window is emptied; an active override stays.`,
        facts,
        confirmLabel: 'Reset',
        danger: true,
      };
  }
}
