/**
 * Herald patterns as Redis PSUBSCRIBE globs. Literal segments are escaped (`\ * ? [ ]`), `*` (one
 * segment) and a trailing `>` (one or more segments) both become `*`. Redis' `*` also crosses dots,
 * so a glob can match more topics than its pattern (`a.*.c` matches `a.b.x.c`): the engine always
 * re-matches the topic with Herald's own matcher before delivering.
 */
import { SINGLE_WILDCARD, TAIL_WILDCARD } from '@herald/protocol';

const GLOB_SPECIAL = /[\\*?[\]]/g;

/** The glob for `pattern`, prefixed (the prefix is escaped too). */
export function patternGlob(prefix: string, pattern: string): string {
  const segments = pattern.split('.').map((segment) =>
    segment === SINGLE_WILDCARD || segment === TAIL_WILDCARD ? '*' : segment.replace(GLOB_SPECIAL, (c) => `\\${c}`),
  );
  return prefix.replace(GLOB_SPECIAL, (c) => `\\${c}`) + segments.join('.');
}
