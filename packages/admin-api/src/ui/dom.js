// DOM helpers. Every piece of text from the API (names, reasons, actors) reaches the page
// through textContent: nothing here parses HTML, so a reason like `<img src=x onerror=…>`
// shows as those characters.

/**
 * The element with this id, of this type; throws if the page lacks it (a bug, not a state).
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
export function byId(id, type) {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`the page has no ${type.name} #${id}`);
  return found;
}

/**
 * A new element with text content and attributes.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {{ text?: string, className?: string, attrs?: Record<string, string> }} [options]
 * @param {Node[]} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  for (const [name, value] of Object.entries(options.attrs ?? {})) node.setAttribute(name, value);
  if (options.text !== undefined) node.textContent = options.text;
  for (const child of children) node.append(child);
  return node;
}

/**
 * Sets an element's text only when it changed, so a second-by-second countdown does not
 * disturb a screen reader's cursor or a text selection elsewhere in the row.
 * @param {Element} node
 * @param {string} text
 */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/**
 * Sets an attribute only when it changed.
 * @param {Element} node
 * @param {string} name
 * @param {string} value
 */
export function setAttr(node, name, value) {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

/**
 * A `<dl>` of label/value pairs; a value given as a Node is appended as is.
 * @param {HTMLDListElement} list
 * @param {[string, string | Node][]} rows
 */
export function fillFacts(list, rows) {
  list.replaceChildren(
    ...rows.flatMap(([label, value]) => [
      el('dt', { text: label }),
      el('dd', {}, [typeof value === 'string' ? document.createTextNode(value) : value]),
    ]),
  );
}
