// The stream's state in the header ("Live", "Reconnecting in 4s: …"), and in the live
// region when it is lost and when it comes back, with what was missed meanwhile.

import { setText } from './dom.js';
import { formatRemaining } from './format.js';

/**
 * @typedef {import('./event-stream.js').StreamStatus} StreamStatus
 * @typedef {import('./types.d.ts').ReadyEvent} ReadyEvent
 * @typedef {import('./announcer.js').Announcer} Announcer
 */

export class ConnectionStatus {
  #node;
  #announcer;
  /** @type {StreamStatus} */
  #status = { state: 'stopped' };
  /** When the status arrived, page clock (for the reconnection countdown). */
  #since = 0;
  /** The stream has been `ready` at least once this session (so a later `ready` is a reconnect). */
  #everReady = false;
  /** The stream dropped since it was last `ready`. */
  #interrupted = false;

  /**
   * @param {HTMLElement} node
   * @param {Announcer} announcer
   */
  constructor(node, announcer) {
    this.#node = node;
    this.#announcer = announcer;
  }

  /** @param {StreamStatus} status */
  update(status) {
    this.#status = status;
    this.#since = performance.now();
    if (status.state === 'waiting' && !this.#interrupted && this.#everReady) {
      this.#interrupted = true;
      this.#announcer.say('Live updates interrupted; reconnecting.');
    }
    this.#show();
  }

  /**
   * The stream's opening is through: live. After a drop, says whether what was missed
   * was replayed.
   * @param {ReadyEvent} ready
   * @param {number} missed  transitions replayed that the page had not seen
   */
  ready(ready, missed) {
    this.#set('live', 'Live');
    if (this.#everReady && this.#interrupted) {
      const parts = ['Live updates restored.'];
      if (!ready.resumed) parts.push('Showing the current state; the audit timelines have what changed meanwhile.');
      else if (missed === 0) parts.push('Nothing changed while disconnected.');
      else parts.push(`${missed} change${missed === 1 ? '' : 's'} while disconnected.`);
      if (ready.gaps.length > 0) {
        parts.push(`Not every change to ${ready.gaps.join(', ')} could be replayed; the current state is shown.`);
      }
      this.#announcer.say(parts.join(' '));
    }
    this.#everReady = true;
    this.#interrupted = false;
  }

  /** Every second: the reconnection countdown. */
  tick() {
    if (this.#status.state === 'waiting') this.#show();
  }

  /** @param {string} text why there is no stream */
  offline(text) {
    this.#set('offline', text);
  }

  /** Signed out: the next session starts afresh. */
  reset() {
    this.#status = { state: 'stopped' };
    this.#everReady = false;
    this.#interrupted = false;
    this.offline('Not connected');
  }

  #show() {
    const status = this.#status;
    switch (status.state) {
      case 'connecting':
        this.#set('connecting', this.#everReady ? 'Reconnecting…' : 'Connecting…');
        break;
      case 'open':
        // Live once the opening (replay, snapshots) is through: `ready`.
        this.#set('connecting', 'Catching up…');
        break;
      case 'waiting': {
        const left = status.retryInMs - (performance.now() - this.#since);
        this.#set('reconnecting', `Reconnecting in ${formatRemaining(left)}: ${status.reason}`);
        break;
      }
      default:
        break;
    }
  }

  /**
   * @param {string} state  `live`, `connecting`, `reconnecting` or `offline` (the CSS and the tests read it)
   * @param {string} text
   */
  #set(state, text) {
    this.#node.dataset.state = state;
    setText(this.#node, text);
  }
}
