/**
 * Values on the command line: a small JavaScript-like literal syntax, parsed by hand (never
 * evaluated), for the types superjson carries. `formatLiteral` prints values in the same syntax, so
 * what `herald sub` prints can be pasted back into `herald pub`.
 *
 *   42  -1.5  1e3  NaN  Infinity  -Infinity  12345678901234567890n
 *   "text"  'text'  true  false  null  undefined
 *   [1, 2, 3]  { celsius: 21.5, "room name": 'hall', }
 *   Date("2026-12-06T10:00:00Z")  Date(0)  Map([["a", 1], [2n, true]])  Set([1, 2])
 *   Uint8Array([1, 2, 255])  RegExp("^a+$", "i")      (`new` before a constructor is allowed)
 */

/** A value the command line could not read; `position` is the 0-based character offset. */
export class LiteralError extends Error {
  override readonly name = 'LiteralError';
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at character ${position + 1}`);
  }
}

const MAX_DEPTH = 64;

/** Parses one literal; throws LiteralError on anything else (trailing text included). */
export function parseLiteral(text: string): unknown {
  const parser = new Parser(text);
  const value = parser.value(0);
  parser.space();
  if (!parser.done()) throw new LiteralError('unexpected text after the value', parser.at);
  return value;
}

class Parser {
  at = 0;
  constructor(readonly text: string) {}

  done(): boolean {
    return this.at >= this.text.length;
  }

  space(): void {
    while (!this.done() && /\s/.test(this.text[this.at]!)) this.at++;
  }

  expect(char: string): void {
    this.space();
    if (this.text[this.at] !== char) throw new LiteralError(`expected "${char}"`, this.at);
    this.at++;
  }

  peek(): string | undefined {
    this.space();
    return this.text[this.at];
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new LiteralError(`nested deeper than ${MAX_DEPTH}`, this.at);
    const c = this.peek();
    if (c === undefined) throw new LiteralError('expected a value', this.at);
    if (c === '"' || c === "'") return this.string();
    if (c === '[') return this.array(depth);
    if (c === '{') return this.object(depth);
    if (c === '-' || c === '+' || c === '.' || /[0-9]/.test(c)) return this.number();
    return this.word(depth);
  }

  string(): string {
    const quote = this.text[this.at]!;
    const start = this.at++;
    let out = '';
    while (!this.done()) {
      const c = this.text[this.at++]!;
      if (c === quote) return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.text[this.at++];
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0' };
      if (e === undefined) break;
      if (e in simple) out += simple[e];
      else if (e === 'u') {
        const hex = this.text.slice(this.at, this.at + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new LiteralError('bad \\u escape', this.at);
        out += String.fromCharCode(Number.parseInt(hex, 16));
        this.at += 4;
      } else out += e;
    }
    throw new LiteralError('unterminated string', start);
  }

  number(): number | bigint {
    const start = this.at;
    const match = /^([+-]?)(?:(Infinity)|0[xX]([0-9a-fA-F]+)(n?)|(\d[\d_]*)n|((?:\d[\d_]*)?(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?))/.exec(this.text.slice(this.at));
    const body = match?.[0].replace(/^[+-]/, '') ?? '';
    if (match === null || body === '' || body === '.' || /^[eE]/.test(body)) throw new LiteralError('expected a number', start);
    this.at += match[0].length;
    const negative = match[1] === '-';
    if (match[2] !== undefined) return negative ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    if (match[3] !== undefined) {
      if (match[4] === 'n') return negative ? -BigInt(`0x${match[3]}`) : BigInt(`0x${match[3]}`);
      return (negative ? -1 : 1) * Number.parseInt(match[3], 16);
    }
    if (match[5] !== undefined) {
      const big = BigInt(match[5].replaceAll('_', ''));
      return negative ? -big : big;
    }
    return (negative ? -1 : 1) * Number(match[6]!.replaceAll('_', ''));
  }

  identifier(): string {
    this.space();
    const match = /^[A-Za-z_$][\w$]*/.exec(this.text.slice(this.at));
    if (match === null) throw new LiteralError('expected a value', this.at);
    this.at += match[0].length;
    return match[0];
  }

  word(depth: number): unknown {
    const start = this.at;
    let name = this.identifier();
    if (name === 'new') name = this.identifier();
    switch (name) {
      case 'true':
        return true;
      case 'false':
        return false;
      case 'null':
        return null;
      case 'undefined':
        return undefined;
      case 'NaN':
        return Number.NaN;
      case 'Infinity':
        return Number.POSITIVE_INFINITY;
      case 'Date': {
        const args = this.args(depth);
        const arg = args[0];
        if (args.length !== 1 || (typeof arg !== 'string' && typeof arg !== 'number')) throw new LiteralError('Date takes one string or number', start);
        const date = new Date(arg);
        if (Number.isNaN(date.getTime())) throw new LiteralError(`invalid date ${JSON.stringify(arg)}`, start);
        return date;
      }
      case 'Map': {
        const args = this.args(depth);
        if (args.length === 0) return new Map();
        const entries = args[0];
        if (args.length !== 1 || !Array.isArray(entries) || !entries.every((e) => Array.isArray(e) && e.length === 2)) {
          throw new LiteralError('Map takes a list of [key, value] pairs', start);
        }
        return new Map(entries as Array<[unknown, unknown]>);
      }
      case 'Set': {
        const args = this.args(depth);
        if (args.length > 1 || (args.length === 1 && !Array.isArray(args[0]))) throw new LiteralError('Set takes a list', start);
        return new Set((args[0] as unknown[] | undefined) ?? []);
      }
      case 'Uint8Array': {
        const args = this.args(depth);
        const bytes = args[0] ?? [];
        if (args.length > 1 || !Array.isArray(bytes) || !bytes.every((b) => Number.isInteger(b) && (b as number) >= 0 && (b as number) <= 255)) {
          throw new LiteralError('Uint8Array takes a list of bytes (0-255)', start);
        }
        return Uint8Array.from(bytes as number[]);
      }
      case 'RegExp': {
        const args = this.args(depth);
        if (args.length < 1 || args.length > 2 || !args.every((a) => typeof a === 'string')) throw new LiteralError('RegExp takes a source and flags', start);
        try {
          return new RegExp(args[0] as string, args[1] as string | undefined);
        } catch (error) {
          throw new LiteralError(`invalid RegExp: ${(error as Error).message}`, start);
        }
      }
      default:
        throw new LiteralError(`unknown word "${name}" (quote text: 'like this')`, start);
    }
  }

  args(depth: number): unknown[] {
    this.expect('(');
    const out: unknown[] = [];
    while (this.peek() !== ')') {
      out.push(this.value(depth + 1));
      if (this.peek() === ',') this.at++;
      else break;
    }
    this.expect(')');
    return out;
  }

  array(depth: number): unknown[] {
    this.expect('[');
    const out: unknown[] = [];
    while (this.peek() !== ']') {
      out.push(this.value(depth + 1));
      if (this.peek() === ',') this.at++;
      else break;
    }
    this.expect(']');
    return out;
  }

  object(depth: number): Record<string, unknown> {
    this.expect('{');
    const out: Record<string, unknown> = {};
    while (this.peek() !== '}') {
      const c = this.peek();
      const key = c === '"' || c === "'" ? this.string() : /[0-9]/.test(c ?? '') ? String(this.number()) : this.identifier();
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') throw new LiteralError(`the key "${key}" is not allowed`, this.at);
      this.expect(':');
      out[key] = this.value(depth + 1);
      if (this.peek() === ',') this.at++;
      else break;
    }
    this.expect('}');
    return out;
  }
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Prints a value in the syntax `parseLiteral` reads. */
export function formatLiteral(value: unknown, depth = 0): string {
  if (depth > MAX_DEPTH) return '…';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'boolean':
      return String(value);
    case 'undefined':
      return 'undefined';
    case 'object':
      break;
    default:
      return JSON.stringify(String(value));
  }
  if (value === null) return 'null';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Date(NaN)' : `Date(${JSON.stringify(value.toISOString())})`;
  if (value instanceof Map) return `Map([${[...value].map(([k, v]) => `[${formatLiteral(k, depth + 1)}, ${formatLiteral(v, depth + 1)}]`).join(', ')}])`;
  if (value instanceof Set) return `Set([${[...value].map((v) => formatLiteral(v, depth + 1)).join(', ')}])`;
  if (value instanceof Uint8Array) return `Uint8Array([${[...value].join(', ')}])`;
  if (value instanceof RegExp) return `RegExp(${JSON.stringify(value.source)}${value.flags ? `, ${JSON.stringify(value.flags)}` : ''})`;
  if (Array.isArray(value)) return `[${value.map((v) => formatLiteral(v, depth + 1)).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  return `{ ${entries.map(([k, v]) => `${IDENTIFIER.test(k) ? k : JSON.stringify(k)}: ${formatLiteral(v, depth + 1)}`).join(', ')} }`;
}

/**
 * JSON for `--json`: Dates as ISO strings, BigInts as decimal strings, Maps as objects (or
 * `[key, value]` lists when a key is not a string), Sets and Uint8Arrays as lists, undefined as null.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(jsonable(value, 0)) ?? 'null';
}

function jsonable(value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) return null;
  if (value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof Map) {
    const pairs = [...value].map(([k, v]) => [jsonable(k, depth + 1), jsonable(v, depth + 1)] as const);
    return pairs.every(([k]) => typeof k === 'string') ? Object.fromEntries(pairs) : pairs;
  }
  if (value instanceof Set || value instanceof Uint8Array) return [...value].map((v) => jsonable(v, depth + 1));
  if (value instanceof RegExp) return value.toString();
  if (Array.isArray(value)) return value.map((v) => jsonable(v, depth + 1));
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, jsonable(v, depth + 1)]));
}
