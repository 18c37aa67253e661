// The selected breaker: its facts and its audit timeline.

import { breakerFacts } from './breaker-view.js';
import { byId, el, fillFacts, setText } from './dom.js';
import { actionLabel, formatTime, stateLabel } from './format.js';

/**
 * @typedef {import('./types.d.ts').BreakerSnapshot} BreakerSnapshot
 * @typedef {import('./types.d.ts').AuditEntry} AuditEntry
 */

export class BreakerDetail {
  #panel = byId('detail', HTMLElement);
  #title = byId('detail-title', HTMLHeadingElement);
  #facts = byId('detail-facts', HTMLDListElement);
  #audit = byId('audit', HTMLOListElement);
  #auditStatus = byId('audit-status', HTMLParagraphElement);
  /** The facts last rendered, to skip identical re-renders on every tick. */
  #rendered = '';

  /** @param {string} name */
  show(name) {
    this.#panel.hidden = false;
    setText(this.#title, name);
    this.#facts.replaceChildren();
    this.#audit.replaceChildren();
    this.#rendered = '';
    setText(this.#auditStatus, 'Loading…');
  }

  hide() {
    this.#panel.hidden = true;
  }

  focus() {
    this.#title.focus();
  }

  /**
   * @param {BreakerSnapshot} snapshot
   * @param {number} storeNow
   */
  update(snapshot, storeNow) {
    const facts = breakerFacts(snapshot, storeNow);
    const key = JSON.stringify([snapshot.state, facts]);
    if (key === this.#rendered) return;
    this.#rendered = key;
    fillFacts(this.#facts, facts);
    this.#panel.dataset.state = snapshot.state;
  }

  /** The breaker is gone (its keys expired, or the list no longer has it). */
  gone() {
    fillFacts(this.#facts, [['State', 'this breaker is no longer in the store']]);
    this.#rendered = '';
  }

  /** @param {AuditEntry[]} entries newest first */
  setAudit(entries) {
    setText(this.#auditStatus, entries.length === 0 ? 'No entries yet.' : '');
    this.#audit.replaceChildren(
      ...entries.map((e) =>
        el('li', { className: `entry action-${e.action}`, attrs: { 'data-generation': String(e.generation) } }, [
          el('time', { text: formatTime(e.at), attrs: { datetime: new Date(e.at).toISOString() } }),
          el('span', { className: 'what', text: ` ${actionLabel(e.action)}` }),
          el('span', { className: 'transition', text: `: ${stateLabel(e.from)} → ${stateLabel(e.to)}` }),
          el('span', { className: 'actor', text: ` by ${e.actor}` }),
          el('span', { className: 'generation', text: ` (generation ${e.generation})` }),
          el('q', { className: 'reason', text: e.reason }),
        ]),
      ),
    );
  }

  /** @param {string} message */
  auditFailed(message) {
    setText(this.#auditStatus, `The audit could not be read: ${message}`);
  }
}
