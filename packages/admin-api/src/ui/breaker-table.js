// The list: one row per breaker, updated in place (a row is never rebuilt, so keyboard
// focus on a name stays put while the state under it changes).

import { viewBreaker } from './breaker-view.js';
import { el, setAttr, setText } from './dom.js';

/**
 * @typedef {import('./types.d.ts').BreakerSnapshot} BreakerSnapshot
 * @typedef {{ snapshot: BreakerSnapshot, storeNow: number }} RowInput
 */

const CELLS = /** @type {const} */ (['state', 'window', 'pods', 'probe', 'cooldown', 'override', 'generation']);

/**
 * @typedef {object} Row
 * @property {HTMLTableRowElement} tr
 * @property {HTMLButtonElement} button
 * @property {HTMLSpanElement} badge
 * @property {HTMLSpanElement} automatic
 * @property {HTMLSpanElement} overrideText
 * @property {HTMLSpanElement} reason
 * @property {Record<(typeof CELLS)[number], HTMLTableCellElement>} cells
 */

export class BreakerTable {
  #body;
  #onSelect;
  /** @type {Map<string, Row>} */
  #rows = new Map();

  /**
   * @param {HTMLTableSectionElement} body
   * @param {(name: string) => void} onSelect
   */
  constructor(body, onSelect) {
    this.#body = body;
    this.#onSelect = onSelect;
  }

  /**
   * Shows exactly these breakers, in this order.
   * @param {RowInput[]} inputs
   * @param {string | null} selected
   */
  render(inputs, selected) {
    const names = new Set(inputs.map((i) => i.snapshot.name));
    for (const [name, row] of this.#rows) {
      if (!names.has(name)) {
        row.tr.remove();
        this.#rows.delete(name);
      }
    }
    /** @type {HTMLTableRowElement | null} */
    let previous = null;
    for (const input of inputs) {
      const row = this.#rows.get(input.snapshot.name) ?? this.#create(input.snapshot.name);
      this.#fill(row, input, input.snapshot.name === selected);
      /** @type {Element | null} */
      const wanted = previous === null ? this.#body.firstElementChild : previous.nextElementSibling;
      if (wanted !== row.tr) this.#body.insertBefore(row.tr, wanted);
      previous = row.tr;
    }
  }

  /** The name button of a row, to return focus to. @param {string} name */
  buttonOf(name) {
    return this.#rows.get(name)?.button;
  }

  /** @param {string} name */
  #create(name) {
    const button = el('button', {
      text: name,
      className: 'name',
      attrs: { type: 'button', 'aria-controls': 'detail' },
    });
    button.addEventListener('click', () => this.#onSelect(name));
    const badge = el('span', { className: 'badge' });
    const automatic = el('span', { className: 'automatic' });
    const overrideText = el('span', { className: 'override-text' });
    const reason = el('span', { className: 'override-reason' });
    /** @type {Row['cells']} */
    const cells = /** @type {any} */ ({});
    for (const cell of CELLS) cells[cell] = el('td', { className: cell });
    cells.state.append(badge, automatic);
    cells.override.append(overrideText, reason);
    const tr = el('tr', { attrs: { 'data-breaker': name } }, [
      el('th', { attrs: { scope: 'row' } }, [button]),
      ...CELLS.map((c) => cells[c]),
    ]);
    const row = { tr, button, badge, automatic, overrideText, reason, cells };
    this.#rows.set(name, row);
    return row;
  }

  /**
   * @param {Row} row
   * @param {RowInput} input
   * @param {boolean} selected
   */
  #fill(row, { snapshot, storeNow }, selected) {
    const v = viewBreaker(snapshot, storeNow);
    setAttr(row.tr, 'data-state', snapshot.state);
    setAttr(row.tr, 'data-override', snapshot.override ? snapshot.override.mode : 'none');
    setAttr(row.button, 'aria-current', String(selected));
    setAttr(row.badge, 'class', `badge state-${snapshot.state}`);
    setText(row.badge, v.state);
    setText(row.automatic, v.automatic === '' ? '' : ` (${v.automatic})`);
    setText(row.cells.window, v.window);
    setText(row.cells.pods, v.failingPods);
    setText(row.cells.probe, v.probe);
    setText(row.cells.cooldown, v.cooldown);
    setText(row.overrideText, v.override);
    setText(row.reason, v.reason);
    // The full reason on hover when the cell truncates it; an attribute set as a property value, never parsed.
    if (row.reason.title !== v.reason) row.reason.title = v.reason;
    setText(row.cells.generation, String(snapshot.generation));
  }
}
