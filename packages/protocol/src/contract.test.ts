import type { StandardSchemaV1 } from '@standard-schema/spec';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MAX_NAMED_ISSUES, ValidationError, type ValidationIssue, defineContract, describeIssues } from './contract.js';
import { ErrorCode, HeraldError } from './errors.js';

/** A Standard Schema that answers asynchronously (as a schema with an async refinement does). */
function asyncPositive(): StandardSchemaV1<number> {
  return {
    '~standard': {
      version: 1,
      vendor: 'test',
      validate: (value) =>
        Promise.resolve(typeof value === 'number' && value > 0 ? { value } : { issues: [{ message: 'not positive' }] }),
    },
  };
}

describe.each([
  ['zod', { reading: z.object({ at: z.date(), celsius: z.number(), tags: z.map(z.string(), z.bigint()) }), text: z.string() }],
  ['valibot', { reading: v.object({ at: v.date(), celsius: v.number(), tags: v.map(v.string(), v.bigint()) }), text: v.string() }],
] as const)('defineContract with %s', (_name, schemas) => {
  const contract = defineContract({
    topics: { 'sensors.*.temp': schemas.reading, 'chat.>': schemas.text },
    methods: { 'chat.say': { params: schemas.text } },
  });

  it('accepts a value with its rich types, synchronously', () => {
    const outcome = contract.checkTopic('sensors.hall.temp', { at: new Date(0), celsius: 21.5, tags: new Map([['a', 1n]]) });
    expect(outcome).toBeUndefined();
  });

  it('refuses a value whose Date, number or Map entry is wrong, naming each issue by path', () => {
    const issues = contract.checkTopic('sensors.hall.temp', { at: '1970-01-01', celsius: 'warm', tags: new Map([['a', 1]]) });
    expect(issues).toBeInstanceOf(Array);
    const paths = (issues as unknown as ValidationIssue[]).map((issue) => issue.path.join('.'));
    expect(paths).toContain('at');
    expect(paths).toContain('celsius');
    expect(paths.some((path) => path.startsWith('tags'))).toBe(true);
  });

  it('covers topics by pattern and methods by side', () => {
    expect(contract.coversTopic('sensors.hall.temp')).toBe(true);
    expect(contract.coversTopic('chat.a.b')).toBe(true);
    expect(contract.coversTopic('sensors.hall.humidity')).toBe(false);
    expect(contract.checkTopic('nobody.names.this', 42)).toBeUndefined();
    expect(contract.coversMethod('chat.say', 'params')).toBe(true);
    expect(contract.coversMethod('chat.say', 'result')).toBe(false);
    expect(contract.checkMethod('chat.say', 'params', 'hi')).toBeUndefined();
    expect(contract.checkMethod('chat.say', 'params', 1)).toHaveLength(1);
    expect(contract.checkMethod('chat.say', 'result', 1)).toBeUndefined();
  });
});

describe('contract checks', () => {
  it('asks every entry whose pattern matches the topic', () => {
    const contract = defineContract({ topics: { 'a.>': z.object({ x: z.number() }), 'a.b': z.object({ y: z.string() }) } });
    expect(contract.checkTopic('a.b', { x: 1, y: 'ok' })).toBeUndefined();
    expect((contract.checkTopic('a.b', { x: 1 }) as ValidationIssue[]).map((issue) => issue.path)).toEqual([['y']]);
    expect(contract.checkTopic('a.c', { x: 1 })).toBeUndefined();
  });

  it('answers with a Promise when a schema is asynchronous', async () => {
    const contract = defineContract({ topics: { n: asyncPositive() } });
    const good = contract.checkTopic('n', 3);
    const bad = contract.checkTopic('n', -3);
    expect(good).toBeInstanceOf(Promise);
    expect(await good).toBeUndefined();
    expect(await bad).toEqual([{ message: 'not positive', path: [] }]);
  });

  it('makes a ValidationError with the code, the issues, and a bounded message', () => {
    const issues = Array.from({ length: MAX_NAMED_ISSUES + 5 }, (_, i) => ({ message: 'bad', path: ['list', i] }));
    const error = new ValidationError('the payload', issues);
    expect(error).toBeInstanceOf(HeraldError);
    expect(error.code).toBe(ErrorCode.VALIDATION_FAILED);
    expect(error.issues).toHaveLength(MAX_NAMED_ISSUES + 5);
    expect(describeIssues(issues).split('; ')).toHaveLength(MAX_NAMED_ISSUES + 1);
    expect(describeIssues([{ message: 'm', path: [] }])).toBe('(value): m');
  });
});
