/**
 * The clients of the Redis presence tests (presence-gap, presence-repair-retry,
 * presence-watch-reads): raw members and watches of the topic `room`, the client SDK's view of it,
 * each opened through one `PresenceClients` and closed by its `close()` (before the routers).
 */
import { type Client, type Member, type Presence, connect } from '@herald/client';
import type { ServerMessage } from '@herald/protocol';
import type { AuthContext, Identity, Router } from '@herald/server';
import { Log, RawClient } from '@herald/testkit';

/** The routers' `authenticate`: the token is the user, who may do everything. */
export const authenticate = ({ token }: AuthContext): Identity => ({ user: token ?? 'anonymous', permissions: { allow: { '>': ['*'] } } });

export class PresenceClients {
  readonly #raws: RawClient[] = [];
  #sdk: Client | undefined;

  /** A raw client of `user` (its token) subscribed to `room`, a member of its presence. */
  async member(router: Router, user: string): Promise<RawClient> {
    const c = await RawClient.subscribed(router.url, 'room', { token: user });
    this.#raws.push(c);
    return c;
  }

  /** A raw watch of `room` on `router`, grouped `by`, and its first frame (the snapshot, or an error). */
  async watcher(router: Router, by: 'user' | 'connection' = 'user'): Promise<[RawClient, ServerMessage]> {
    const c = await RawClient.welcomed(router.url, { token: 'watcher' });
    this.#raws.push(c);
    c.send({ type: 'presence_watch', id: 1, topic: 'room', by });
    return [c, await c.next()];
  }

  /** The client SDK watching `room` on `router`, and what its view is told, as `join id` / `leave id reason`. */
  async sdkWatcher(router: Router): Promise<{ view: Presence; seen: Log<string> }> {
    this.#sdk = await connect(router.url, { token: 'watcher', reconnect: false });
    const view = await this.#sdk.presence('room');
    const seen = new Log<string>();
    view.on('join', (m: Member) => seen.push(`join ${m.id}`));
    view.on('leave', (m: Member, reason: string) => seen.push(`leave ${m.id} ${reason}`));
    return { view, seen };
  }

  async close(): Promise<void> {
    await this.#sdk?.close();
    for (const c of this.#raws) await c[Symbol.asyncDispose]();
  }
}

/** The next `n` presence frames of `c`, as `join id` / `leave id reason`. */
export async function told(c: RawClient, n: number): Promise<string[]> {
  const got: string[] = [];
  while (got.length < n) {
    const f = await c.next();
    if (f.type === 'presence_join') got.push(`join ${f.member.id}`);
    else if (f.type === 'presence_leave') got.push(`leave ${f.member.id} ${f.reason}`);
  }
  return got;
}
