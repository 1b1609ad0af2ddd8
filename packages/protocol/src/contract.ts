/**
 * Contracts: the Schema's types and run-time checks from one definition, with any Standard Schema
 * library (zod, valibot, arktype...):
 *
 *   const contract = defineContract({
 *     topics: { 'sensors.*.temp': z.object({ at: z.date(), celsius: z.number() }) },
 *     methods: { 'stats.get': { params: z.object({ since: z.date() }), result: z.object({ clients: z.number() }) } },
 *   });
 *   const client = await connect(url, { contract }); // typed: SchemaOf<typeof contract>
 *
 * Values are checked after decoding (a Date as a Date, a Map as a Map). A check never changes the
 * value: what a schema would transform or coerce travels as it was published.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { ErrorCode, HeraldError } from './errors.js';
import type { HeraldSchema } from './schema.js';
import { matchPattern } from './topic.js';

/** A method's schemas: either may be left out (that side is not checked, and typed `unknown`). */
export interface MethodContract {
  params?: StandardSchemaV1;
  result?: StandardSchemaV1;
}

/** What `defineContract` takes: schemas by topic pattern, and by method. */
export interface ContractDefinition {
  topics?: { readonly [pattern: string]: StandardSchemaV1 };
  methods?: { readonly [method: string]: MethodContract };
}

type Output<T> = T extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<T> : unknown;

/** The compile-time Schema a definition describes (see `HeraldSchema`). */
export type SchemaOfDefinition<D extends ContractDefinition> = {
  topics: D extends { topics: infer T } ? { -readonly [P in keyof T]: Output<T[P]> } : { [pattern: string]: unknown };
  methods: D extends { methods: infer M }
    ? { -readonly [K in keyof M]: { params: M[K] extends { params: infer P } ? Output<P> : unknown; result: M[K] extends { result: infer R } ? Output<R> : unknown } }
    : { [method: string]: { params: unknown; result: unknown } };
};

/** One problem a schema found: where (`path`, empty for the value itself) and what. */
export interface ValidationIssue {
  message: string;
  path: ReadonlyArray<string | number>;
}

/** Why a value was refused; `undefined` when it passed. */
export type ValidationOutcome = readonly ValidationIssue[] | undefined;

/** At most this many issues are named in a refusal's message. */
export const MAX_NAMED_ISSUES = 10;

/** A value that breaks the contract: `code` is `VALIDATION_FAILED`, `issues` says where and why. */
export class ValidationError extends HeraldError {
  readonly issues: readonly ValidationIssue[];

  constructor(what: string, issues: readonly ValidationIssue[], options?: { cause?: unknown }) {
    super(ErrorCode.VALIDATION_FAILED, `${what} breaks the contract: ${describeIssues(issues)}`, options);
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

/** `path: message; path: message` for the first {@link MAX_NAMED_ISSUES} issues (`(value)` for the root). */
export function describeIssues(issues: readonly ValidationIssue[]): string {
  const named = issues.slice(0, MAX_NAMED_ISSUES).map((issue) => `${issue.path.length === 0 ? '(value)' : issue.path.join('.')}: ${issue.message}`);
  if (issues.length > MAX_NAMED_ISSUES) named.push(`and ${issues.length - MAX_NAMED_ISSUES} more`);
  return named.join('; ');
}

/**
 * A contract: the definition's schemas, and the Schema type `S` they give (`SchemaOf<typeof c>`).
 * Checks return `undefined` (passed) or the issues, synchronously when every schema involved is
 * synchronous, as a Promise otherwise.
 */
export interface Contract<S extends HeraldSchema = HeraldSchema> {
  /** The definition, as given. */
  readonly definition: ContractDefinition;
  /**
   * Type only (never set): the Schema this contract gives. A method, so that it is compared
   * bivariantly: options typed for one Schema still pass where another is expected.
   */
  __schema?(schema: S): void;
  /** Whether some topic entry covers `topic` (a publish to it is checked). */
  coversTopic(topic: string): boolean;
  /** Checks a payload for `topic` against every entry whose pattern matches it. */
  checkTopic(topic: string, value: unknown): ValidationOutcome | Promise<ValidationOutcome>;
  /** Whether `method` has a schema for `side`. */
  coversMethod(method: string, side: 'params' | 'result'): boolean;
  /** Checks a method's params or result. */
  checkMethod(method: string, side: 'params' | 'result', value: unknown): ValidationOutcome | Promise<ValidationOutcome>;
  /**
   * What a client checks before sending a payload (`topic`) or params: the refusal, or `undefined`
   * (also when the contract does not name it); a Promise only when a schema is asynchronous. On the
   * contract, so that a client bundles this code only when it is given one.
   */
  checkSend(kind: 'topic' | 'params', name: string, value: unknown): Refusal;
  /** What a client checks on receipt (with `validateIncoming`): a message (`topic`) or a result. */
  checkReceived(kind: 'topic' | 'result', name: string, value: unknown): Refusal;
}

/** A ValidationError, none, or (asynchronous schemas) a Promise of either. */
export type Refusal = ValidationError | undefined | Promise<ValidationError | undefined>;

/** The Schema type of a contract. */
export type SchemaOf<C> = C extends Contract<infer S> ? S : never;

/**
 * Defines a contract from Standard Schema schemas. The topic keys are patterns (`*`, `>`); a
 * publish must satisfy every entry that matches its topic. Topics and methods the contract does not
 * name are not checked at run time (and are compile errors where the Schema types them).
 *
 * @example
 * import * as v from 'valibot';
 * import { createRouter, defineContract } from '@herald/server';
 * const contract = defineContract({ topics: { 'chat.>': v.string() } });
 * const router = await createRouter({ contract }); // publishes to chat.* must be strings
 */
export function defineContract<const D extends ContractDefinition>(definition: D): Contract<SchemaOfDefinition<D>> {
  const topics = Object.entries(definition.topics ?? {});
  const methods = new Map(Object.entries(definition.methods ?? {}));
  return {
    definition,
    coversTopic: (topic) => topics.some(([pattern]) => matchPattern(pattern, topic)),
    checkTopic: (topic, value) => checkAll(topics.filter(([pattern]) => matchPattern(pattern, topic)).map(([, schema]) => schema), value),
    coversMethod: (method, side) => methods.get(method)?.[side] !== undefined,
    checkMethod: (method, side, value) => {
      const schema = methods.get(method)?.[side];
      return schema === undefined ? undefined : checkAll([schema], value);
    },
    checkSend(kind, name, value) {
      return kind === 'topic' ? refuse(`the payload for "${name}"`, this.checkTopic(name, value)) : refuse(`the params of "${name}"`, this.checkMethod(name, 'params', value));
    },
    checkReceived(kind, name, value) {
      return kind === 'topic' ? refuse(`a message on "${name}"`, this.checkTopic(name, value)) : refuse(`the result of "${name}"`, this.checkMethod(name, 'result', value));
    },
  };
}

function refuse(what: string, outcome: ValidationOutcome | Promise<ValidationOutcome>): Refusal {
  const error = (issues: ValidationOutcome): ValidationError | undefined => (issues === undefined ? undefined : new ValidationError(what, issues));
  return outcome instanceof Promise ? outcome.then(error) : error(outcome);
}

function checkAll(schemas: StandardSchemaV1[], value: unknown): ValidationOutcome | Promise<ValidationOutcome> {
  const results = schemas.map((schema) => schema['~standard'].validate(value));
  if (results.some((result) => result instanceof Promise)) return Promise.all(results).then(collect);
  return collect(results as StandardSchemaV1.Result<unknown>[]);
}

function collect(results: StandardSchemaV1.Result<unknown>[]): ValidationOutcome {
  const issues: ValidationIssue[] = [];
  for (const result of results) {
    for (const issue of result.issues ?? []) issues.push({ message: issue.message, path: (issue.path ?? []).map(pathKey) });
  }
  return issues.length === 0 ? undefined : issues;
}

function pathKey(segment: PropertyKey | StandardSchemaV1.PathSegment): string | number {
  const key = typeof segment === 'object' ? segment.key : segment;
  return typeof key === 'number' ? key : String(key);
}
