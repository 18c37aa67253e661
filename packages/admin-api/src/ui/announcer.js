// The live region: state changes and the outcome of actions, said once each. Countdowns
// never go here (a screen reader would read them every second).

import { el } from './dom.js';

/** Announcements the region keeps (older ones are dropped). */
const KEPT = 5;

export class Announcer {
  #region;
  /** Per breaker, the generation of the last change said. @type {Map<string, number>} */
  #said = new Map();

  /** @param {HTMLElement} region  a polite live region (`role="status"`, `aria-atomic="false"`) */
  constructor(region) {
    this.#region = region;
  }

  /**
   * Says it now. Each message is a new node in the region, so screen readers read it once.
   * @param {string} message
   */
  say(message) {
    this.#region.append(el('p', { text: message }));
    while (this.#region.childElementCount > KEPT) this.#region.firstElementChild?.remove();
  }

  /**
   * Says a change of a breaker unless one of this generation or later was said already:
   * the page's own action, the stream's transition and a later read all see the same change.
   * @param {string} name
   * @param {number} generation
   * @param {string} message
   * @returns {boolean} whether it was said (a change not seen before)
   */
  change(name, generation, message) {
    if ((this.#said.get(name) ?? -1) >= generation) return false;
    this.#said.set(name, generation);
    this.say(message);
    return true;
  }

  /**
   * Marks a generation as known without saying anything (a breaker seen for the first time).
   * @param {string} name
   * @param {number} generation
   */
  known(name, generation) {
    this.#said.set(name, Math.max(generation, this.#said.get(name) ?? -1));
  }

  /** Forgets every breaker (signed out). */
  forget() {
    this.#said.clear();
  }
}
