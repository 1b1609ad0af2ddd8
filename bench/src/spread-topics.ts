/**
 * How the topics and patterns scenarios spread subscriptions over clients, shared by the
 * subscriber processes (which subscribe and count) and nothing else: the server only needs
 * `seq % topics` to pick a message's topic.
 *
 * Topics: with T topics and S clients, client j subscribes to topic `j mod T` when T ≤ S (each
 * topic then has S/T subscribers), and to topics j, j + S, j + 2S… when T > S (each topic has one
 * subscriber, each client about T/S topics). Message `seq` goes to topic `seq mod T`.
 *
 * Patterns: pattern i goes to client `i mod S`. Even ones are `bench.p<i>.>`, odd ones `*.q<i>`:
 * for a router with a trie both hang off a node that every publish visits (`bench`, `*`), and none
 * matches the published topic. Systems without wildcards (raw ws, Socket.IO) hold them as exact
 * names that nobody publishes to.
 */

/** Client `client` of `clients`: the topic numbers it subscribes to, of `topics`. */
export function topicsOf(client: number, clients: number, topics: number): number[] {
  if (topics <= clients) return [client % topics];
  const mine: number[] = [];
  for (let t = client; t < topics; t += clients) mine.push(t);
  return mine;
}

/** How many of clients `base` … `base + count - 1` (of `clients`) subscribe to topic `topic`. */
export function subscribersOf(topic: number, base: number, count: number, clients: number, topics: number): number {
  if (topics > clients) {
    const client = topic % clients;
    return client >= base && client < base + count ? 1 : 0;
  }
  // Clients j in [base, base + count) with j ≡ topic (mod topics).
  const below = (n: number): number => (n <= topic ? 0 : Math.floor((n - topic - 1) / topics) + 1); // j < n
  return below(base + count) - below(base);
}

/** The patterns client `client` of `clients` holds, of `patterns`. */
export function patternsOf(client: number, clients: number, patterns: number): string[] {
  const mine: string[] = [];
  for (let i = client; i < patterns; i += clients) mine.push(i % 2 === 0 ? `bench.p${i}.>` : `*.q${i}`);
  return mine;
}
