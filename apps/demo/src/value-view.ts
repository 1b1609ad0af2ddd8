/**
 * Renders a decoded value as a small tree in which every leaf carries its type, so a person can
 * see what survived the wire: `at 2026-11-22T10:00:00.000Z Date`, `total 42n BigInt`, a Map's
 * entries under `Map(3)`. Markup (for styles and tests):
 *
 *   .v-object > .v-field[data-field=key] > (dt.v-key, dd > value)
 *   .v-coll[data-type=Map|Set|Array] > .v-type, ul > li.v-entry[data-key] | li.v-item
 *   .v-leaf[data-type] > .v-value, .v-type
 */

const MAX_DEPTH = 6;
const MAX_ITEMS = 50;

export function renderValue(value: unknown, depth = 0): HTMLElement {
  if (depth > MAX_DEPTH) return leaf('…', 'deep');
  if (value instanceof Date) return dateLeaf(value);
  if (value instanceof Map) {
    return collection('Map', value.size, [...value].map(([key, item]) => mapEntry(key, item, depth)), [...value.values()].every(isScalar));
  }
  if (value instanceof Set) return collection('Set', value.size, [...value].map((item) => listItem(item, depth)), [...value].every(isScalar));
  if (Array.isArray(value)) return collection('Array', value.length, value.map((item) => listItem(item, depth)), value.every(isScalar));
  if (ArrayBuffer.isView(value)) return bytesLeaf(value.constructor.name, new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  if (value instanceof ArrayBuffer) return bytesLeaf('ArrayBuffer', new Uint8Array(value));
  if (value instanceof RegExp) return leaf(String(value), 'RegExp');
  if (value instanceof URL) return leaf(value.href, 'URL');
  if (value instanceof Error) return leaf(`${value.name}: ${value.message}`, 'Error');
  switch (typeof value) {
    case 'bigint':
      return leaf(`${value}n`, 'BigInt');
    case 'number':
      return leaf(Object.is(value, -0) ? '-0' : String(value), 'number');
    case 'string':
      return leaf(value, 'string');
    case 'boolean':
      return leaf(String(value), 'boolean');
    case 'undefined':
      return leaf('undefined', 'undefined');
    case 'object':
      return value === null ? leaf('null', 'null') : objectView(value as Record<string, unknown>, depth);
    default:
      return leaf(String(value), typeof value);
  }
}

function objectView(value: Record<string, unknown>, depth: number): HTMLElement {
  const entries = Object.entries(value);
  if (entries.length === 0) return leaf('{}', 'Object');
  const list = el('dl', 'v-object');
  list.dataset.type = 'Object';
  for (const [key, field] of entries.slice(0, MAX_ITEMS)) {
    const row = el('div', 'v-field');
    row.dataset.field = key;
    row.append(el('dt', 'v-key', key), wrap('dd', renderValue(field, depth + 1)));
    list.append(row);
  }
  if (entries.length > MAX_ITEMS) list.append(el('div', 'v-more', `… ${entries.length - MAX_ITEMS} more`));
  return list;
}

/** A collection of scalars lays its items out in a row; one with nested values, one per line. */
function collection(type: 'Map' | 'Set' | 'Array', size: number, items: HTMLElement[], inline: boolean): HTMLElement {
  const box = el('div', 'v-coll');
  box.dataset.type = type;
  box.append(el('span', 'v-type', `${type}(${size})`));
  if (items.length > 0) {
    const list = el('ul', inline ? 'v-items v-items-inline' : 'v-items');
    list.append(...items.slice(0, MAX_ITEMS));
    if (items.length > MAX_ITEMS) list.append(el('li', 'v-more', `… ${items.length - MAX_ITEMS} more`));
    box.append(list);
  }
  return box;
}

function isScalar(value: unknown): boolean {
  return value === null || value instanceof Date || (typeof value !== 'object' && typeof value !== 'function');
}

function mapEntry(key: unknown, item: unknown, depth: number): HTMLElement {
  const entry = el('li', 'v-entry');
  entry.dataset.key = typeof key === 'string' ? key : String(key);
  const keyView = typeof key === 'string' ? el('span', 'v-entry-key', key) : wrap('span', renderValue(key, depth + 1), 'v-entry-key');
  entry.append(keyView, el('span', 'v-arrow', '→'), renderValue(item, depth + 1));
  return entry;
}

function listItem(item: unknown, depth: number): HTMLElement {
  return wrap('li', renderValue(item, depth + 1), 'v-item');
}

function dateLeaf(date: Date): HTMLElement {
  const valid = !Number.isNaN(date.getTime());
  const node = leaf(valid ? date.toISOString() : 'Invalid Date', 'Date');
  if (valid) node.title = date.toString();
  return node;
}

function bytesLeaf(type: string, bytes: Uint8Array): HTMLElement {
  const hex = [...bytes.subarray(0, 16)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return leaf(bytes.length > 16 ? `${hex} …` : hex || '(empty)', `${type}(${bytes.length})`);
}

function leaf(text: string, type: string): HTMLElement {
  const node = el('span', 'v-leaf');
  node.dataset.type = type.replace(/\(.*$/, '');
  node.append(el('span', 'v-value', text), el('span', 'v-type', type));
  return node;
}

function wrap(tag: string, child: HTMLElement, className?: string): HTMLElement {
  const node = el(tag, className);
  node.append(child);
  return node;
}

function el(tag: string, className?: string, text?: string): HTMLElement {
  const node = document.createElement(tag);
  if (className !== undefined) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
