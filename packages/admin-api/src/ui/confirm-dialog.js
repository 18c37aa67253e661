// The confirmation before a change: a modal <dialog> (the browser traps focus in it and
// Escape cancels). Focus starts on Cancel, the harmless choice, and returns to the
// button that opened it.

import { byId, fillFacts } from './dom.js';

export class ConfirmDialog {
  #dialog = byId('confirm', HTMLDialogElement);
  #title = byId('confirm-title', HTMLHeadingElement);
  #summary = byId('confirm-summary', HTMLParagraphElement);
  #facts = byId('confirm-facts', HTMLDListElement);
  #ok = byId('confirm-ok', HTMLButtonElement);
  #cancel = byId('confirm-cancel', HTMLButtonElement);

  constructor() {
    this.#ok.addEventListener('click', () => this.#dialog.close('confirm'));
    this.#cancel.addEventListener('click', () => this.#dialog.close('cancel'));
  }

  /**
   * Asks; resolves true only when the person chose the confirm button.
   * @param {{ title: string, summary: string, facts: [string, string][], confirmLabel: string, danger: boolean }} question
   * @param {HTMLElement | null} returnFocusTo
   * @returns {Promise<boolean>}
   */
  ask(question, returnFocusTo) {
    const dialog = this.#dialog;
    this.#title.textContent = question.title;
    this.#summary.textContent = question.summary;
    fillFacts(this.#facts, question.facts);
    this.#ok.textContent = question.confirmLabel;
    this.#ok.classList.toggle('danger', question.danger);
    dialog.returnValue = '';
    return new Promise((resolve) => {
      dialog.addEventListener(
        'close',
        () => {
          returnFocusTo?.focus();
          resolve(dialog.returnValue === 'confirm');
        },
        { once: true },
      );
      dialog.showModal();
      this.#cancel.focus();
    });
  }
}
