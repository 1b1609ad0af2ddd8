/** Shared by the presence tests that watch through a raw client (presence-views, presence-gap). */
import type { ServerMessage } from '@herald/protocol';
import { RawClient } from '@herald/testkit';

/** A raw client (token `watcher`) watching `topic`, and the first frame it got back (its snapshot). */
export async function watcher(url: string, topic: string, extra: Record<string, unknown> = {}): Promise<[RawClient, ServerMessage]> {
  const client = await RawClient.welcomed(url, { token: 'watcher' });
  client.send({ type: 'presence_watch', id: 1, topic, ...extra });
  return [client, await client.next()];
}

/** The next `n` frames of `client`. */
export async function frames(client: RawClient, n: number): Promise<ServerMessage[]> {
  const read: ServerMessage[] = [];
  while (read.length < n) read.push(await client.next());
  return read;
}
