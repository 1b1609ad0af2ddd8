/**
 * One short line that shows a value's fields with their types, for log lines:
 * `at=Date(2026-11-22T10:00:00.000Z) rooms=Map(4) total=42n room="lab"`.
 */
export function describeValue(value: unknown, maxFields = 6): string {
  if (!isPlainObject(value)) return describeField(value);
  const entries = Object.entries(value);
  const shown = entries.slice(0, maxFields).map(([key, field]) => `${key}=${describeField(field)}`);
  if (entries.length > maxFields) shown.push(`…+${entries.length - maxFields}`);
  return shown.join(' ');
}

function describeField(value: unknown): string {
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()})`;
  if (value instanceof Map) return `Map(${value.size})`;
  if (value instanceof Set) return `Set(${value.size})`;
  if (Array.isArray(value)) return `Array(${value.length})`;
  if (value instanceof Uint8Array) return `Uint8Array(${value.byteLength})`;
  switch (typeof value) {
    case 'bigint':
      return `${value}n`;
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 39)}…` : value);
    case 'object':
      return value === null ? 'null' : '{…}';
    default:
      return String(value);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
