/**
 * Numbers a JSON peer writes that JavaScript cannot hold: an integer literal that no IEEE 754 double
 * equals (`9007199254740993`, a 64-bit id from Python or Go) would arrive rounded, and a literal out
 * of the double range (`1e400`) as `Infinity`, which JSON cannot even send on. The json codec refuses
 * such payloads with `PAYLOAD_INVALID` naming the number instead of acknowledging and silently
 * changing them (issue 11). An integer literal passes when a double holds it exactly (any up to
 * 2^53; `1152921504606846976` = 2^60) or when it is the text JavaScript writes for a double
 * (`1152921504606847000` for 2^60); non-integers are doubles, rounded as by every JSON parser.
 */

/** Integer literals with fewer digits are always exact (2^53 has 16 digits); exponents below 100 never overflow. */
const SUSPECT = /\d{16}|[eE][+-]?\d{3}/;
/** The largest double is below 10^309: an integer literal with more digits cannot be exact. */
const MAX_DOUBLE_DIGITS = 309;

/**
 * The first number literal in `text` (valid JSON) that a double does not hold exactly (an integer)
 * or at all (out of range), or undefined when there is none. Linear in the text; most payloads are
 * cleared by one regular-expression scan.
 */
export function inexactNumberIn(text: string): string | undefined {
  if (!SUSPECT.test(text)) return undefined;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Skip the string: valid JSON, so it ends at the first quote not escaped.
      for (i++; i < length; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x5c /* \ */) i++;
        else if (s === 0x22) break;
      }
      continue;
    }
    if (c !== 0x2d /* - */ && (c < 0x30 || c > 0x39)) continue;
    const start = i;
    let integer = true;
    for (i++; i < length; i++) {
      const n = text.charCodeAt(i);
      if (n === 0x2e || n === 0x65 || n === 0x45) integer = false; // . e E
      else if (!((n >= 0x30 && n <= 0x39) || n === 0x2b || n === 0x2d)) break;
    }
    const literal = text.slice(start, i);
    i--; // the loop's i++ reads the character that ended the number
    if (isInexact(literal, integer)) return literal;
  }
  return undefined;
}

function isInexact(literal: string, integer: boolean): boolean {
  const digits = literal.startsWith('-') ? literal.length - 1 : literal.length;
  if (!integer) return digits > 3 && !Number.isFinite(Number(literal));
  if (digits < 16) return false;
  if (digits > MAX_DOUBLE_DIGITS) return true;
  const value = Number(literal);
  if (!Number.isFinite(value)) return true;
  // Exact (2^60 written in full by Python), or the very text JavaScript writes for that double
  // (`1152921504606847000` for 2^60): either way a JavaScript peer gets what was meant.
  return BigInt(literal) !== BigInt(value) && String(value) !== literal;
}

/** The refusal's wording for an inexact literal (cut to 40 characters). */
export function inexactNumberProblem(literal: string): string {
  const shown = literal.length > 40 ? `${literal.slice(0, 40)}...` : literal;
  return /[.eE]/.test(literal)
    ? `the number ${shown}, out of the range of a double: send it as a string`
    : `the integer ${shown}, which a JSON number cannot carry exactly (beyond 2^53): send it as a string`;
}
