/**
 * Typed contracts. A schema maps topics, or patterns, to payload types:
 *
 *   type Schema = { topics: { 'sensors.*.temp': { at: Date; celsius: number }; 'chat.>': string } };
 *   const client = await connect<Schema>(url);
 *   await client.publish('sensors.kitchen.temp', { at: new Date(), celsius: 21 }); // checked
 *
 * Publishing to topic T needs a payload that fits every schema entry whose pattern matches T.
 * A subscription to pattern P receives the union of the payloads of every entry P overlaps.
 * A topic or pattern that no entry covers is a compile error. Without a schema, payloads are `unknown`.
 *
 * Methods map to `{ params, result }`: `client.request('math.add', [1, 2])` checks the params and
 * types the result; `client.handle` checks the handler's params and return type.
 */
export interface HeraldSchema {
  /** Topic or pattern → payload type. */
  topics?: { [pattern: string]: unknown };
  /** Method → its params and result types. */
  methods?: { [method: string]: { params: unknown; result: unknown } };
}

/** The schema used when none is given: every topic carries `unknown`, every method takes and gives `unknown`. */
export interface DefaultSchema extends HeraldSchema {
  topics: { [pattern: string]: unknown };
  methods: { [method: string]: { params: unknown; result: unknown } };
}

type MethodsOf<S> = S extends { methods: infer M } ? M : { [method: string]: { params: unknown; result: unknown } };

/** `unknown` when the schema has `M`, `never` when it does not (a compile error on the method). */
export type KnownMethod<S, M extends string> = string extends keyof MethodsOf<S>
  ? unknown
  : M extends keyof MethodsOf<S>
    ? unknown
    : never;

/** The params type of method `M`. */
export type ParamsOf<S, M extends string> = M extends keyof MethodsOf<S>
  ? MethodsOf<S>[M] extends { params: infer P }
    ? P
    : never
  : unknown;

/** The result type of method `M`. */
export type ResultOf<S, M extends string> = M extends keyof MethodsOf<S>
  ? MethodsOf<S>[M] extends { result: infer R }
    ? R
    : never
  : unknown;

type TopicsOf<S> = S extends { topics: infer T } ? T : { [pattern: string]: unknown };
type IsLoose<S> = string extends keyof TopicsOf<S> ? true : false;

/** Splits a topic or pattern into its segments at the type level. */
export type Segments<T extends string> = T extends `${infer Head}.${infer Rest}` ? [Head, ...Segments<Rest>] : [T];

type SegmentsOverlap<A extends string, B extends string> = A extends '*'
  ? true
  : B extends '*'
    ? true
    : [A] extends [B]
      ? true
      : [B] extends [A]
        ? true
        : false;

type ListsOverlap<A extends readonly string[], B extends readonly string[]> = A extends ['>']
  ? B extends []
    ? false
    : true
  : B extends ['>']
    ? A extends []
      ? false
      : true
    : A extends [infer AH extends string, ...infer AR extends string[]]
      ? B extends [infer BH extends string, ...infer BR extends string[]]
        ? SegmentsOverlap<AH, BH> extends true
          ? ListsOverlap<AR, BR>
          : false
        : false
      : B extends []
        ? true
        : false;

/** `true` when some topic matches both patterns (a topic is a pattern without wildcards). */
export type PatternsOverlap<A extends string, B extends string> = ListsOverlap<Segments<A>, Segments<B>>;

/** The schema entries (patterns) that overlap `P`. */
export type EntriesFor<S, P extends string> = {
  [K in keyof TopicsOf<S> & string]: PatternsOverlap<K, P> extends true ? K : never;
}[keyof TopicsOf<S> & string];

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** The payload type a publish to topic `T` must have. */
export type PublishData<S, T extends string> = IsLoose<S> extends true
  ? unknown
  : string extends T
    ? TopicsOf<S>[keyof TopicsOf<S>]
    : [EntriesFor<S, T>] extends [never]
      ? never
      : UnionToIntersection<{ [K in EntriesFor<S, T>]: [TopicsOf<S>[K]] }[EntriesFor<S, T>]> extends [infer D]
        ? D
        : never;

/** The payload type a subscription to pattern `P` receives. */
export type SubscribeData<S, P extends string> = IsLoose<S> extends true
  ? unknown
  : string extends P
    ? TopicsOf<S>[keyof TopicsOf<S>]
    : TopicsOf<S>[EntriesFor<S, P>];

/**
 * `unknown` when the schema covers `T`, `never` when it does not: intersected with a topic or
 * pattern parameter, it turns an unknown topic into a compile error.
 */
export type Covered<S, T extends string> = IsLoose<S> extends true
  ? unknown
  : string extends T
    ? unknown
    : [EntriesFor<S, T>] extends [never]
      ? never
      : unknown;
