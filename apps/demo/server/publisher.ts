import { type Client, ErrorCode, type PublishAck, connect, isHeraldError } from '@herald/client';
import type { Logger } from '@herald/server';
import { JOB_TOPIC, SENSOR_TOPIC_PREFIX } from './topics.js';

/** A sensor reading: every field but `room` and `celsius` needs superjson to keep its type. */
export interface SensorReading {
  at: Date;
  room: string;
  celsius: number;
  /** The latest temperature of every room, in °C. */
  rooms: Map<string, number>;
  /** Readings published since the publisher started. */
  total: bigint;
  /** 1, 2, 3…: one more per reading, so that a subscriber can see a gap (or a repeat). */
  seq: number;
}

/** A cron job's report (pysig's "cron jobs reporting results"). */
export interface JobReport {
  job: string;
  startedAt: Date;
  finishedAt: Date;
  ok: boolean;
  files: Set<string>;
  bytes: bigint;
}

export interface PublisherOptions {
  /** The router's WebSocket URL. */
  url: string | readonly string[];
  logger: Logger;
  /** Time between two readings. Default 1,000 ms. */
  intervalMs?: number;
  /** A job report goes out every this many readings. Default 10. */
  jobEvery?: number;
  random?: () => number;
}

export interface Publisher {
  /** The publisher's client ("sensor-hub"). */
  readonly client: Client;
  /** The seq of the last reading published (0 before the first). */
  readonly seq: number;
  /** Readings published so far. */
  readonly total: bigint;
  /** Publishes not acknowledged yet: in flight, or queued while the router is away. */
  readonly pending: number;
  /** Stops publishing; resolves once every publish made so far has been acknowledged (or failed for good). */
  stop(): Promise<void>;
  /** Stops publishing and closes the client: publishes still queued fail. */
  close(): Promise<void>;
}

const ROOMS = ['bridge', 'kitchen', 'lab', 'engine-room'] as const;

/**
 * A Node service that connects like any client ("sensor-hub") and publishes a reading to
 * `demo.sensors.<room>` every interval, rooms in turn, each with the next `seq`, and a backup job
 * report now and then.
 *
 * While the router is away (a restart) the client queues the readings and sends them, in order,
 * once it is back (the client's offline queue). A publish that was on the wire when the connection
 * dropped fails with a retryable `CONNECTION_CLOSED` (the router may or may not have routed it):
 * the publisher sends that reading again, so a subscriber sees no gap in `seq` (at worst, a seq twice).
 */
export async function startPublisher(options: PublisherOptions): Promise<Publisher> {
  const { logger } = options;
  const random = options.random ?? Math.random;
  const intervalMs = options.intervalMs ?? 1000;
  const jobEvery = options.jobEvery ?? 10;
  const client: Client = await connect(options.url, { name: 'sensor-hub', info: { kind: 'service', role: 'publisher', pid: process.pid } });
  const temperatures = new Map<string, number>(ROOMS.map((room) => [room, round(18 + random() * 6)]));
  const inflight = new Set<Promise<void>>();
  let total = 0n;
  let seq = 0;
  let tick = 0;
  let stopped = false;
  let closed = false;
  let queuedOffline = 0;

  /** Publishes and resolves with the ack; sends again after a drop that may have lost it. */
  const publish = async (topic: string, value: unknown, what: string): Promise<PublishAck | undefined> => {
    for (let attempt = 1; ; attempt++) {
      if (client.state !== 'open') queuedOffline += 1;
      try {
        return await client.publish(topic, value);
      } catch (error) {
        if (closed) return undefined;
        if (isHeraldError(error, ErrorCode.CONNECTION_CLOSED) && error.retryable && attempt < 5) {
          logger.log('warn', `publisher: ${what} was on the wire when the connection dropped; sending it again`, { topic });
          continue;
        }
        logger.log('warn', `publisher: ${what} not published`, { topic, error: isHeraldError(error) ? `${error.code}: ${error.message}` : String(error) });
        return undefined;
      }
    }
  };

  const track = (work: Promise<unknown>): void => {
    const done = work.then(() => undefined);
    inflight.add(done);
    void done.finally(() => inflight.delete(done));
  };

  const publishReading = (): void => {
    const room = ROOMS[tick % ROOMS.length]!;
    const celsius = round(clamp((temperatures.get(room) ?? 20) + (random() - 0.5), 15, 28));
    temperatures.set(room, celsius);
    total += 1n;
    seq += 1;
    const reading: SensorReading = { at: new Date(), room, celsius, rooms: new Map(temperatures), total, seq };
    track(
      publish(`${SENSOR_TOPIC_PREFIX}${room}`, reading, `reading #${reading.seq}`).then((ack) => {
        if (ack !== undefined && reading.seq % 10 === 0) {
          logger.log('info', 'publisher: readings sent', { seq: reading.seq, total: `${reading.total}n`, topic: ack.topic, offset: ack.offset });
        }
      }),
    );
  };

  const publishJob = (): void => {
    const finishedAt = new Date();
    const files = new Set(ROOMS.filter(() => random() < 0.7).map((room) => `${room}.log`));
    const report: JobReport = {
      job: 'backup',
      startedAt: new Date(finishedAt.getTime() - Math.round(200 + random() * 800)),
      finishedAt,
      ok: random() > 0.15,
      files,
      bytes: BigInt(Math.round(random() * 5e9)) * 1024n,
    };
    track(
      publish(JOB_TOPIC, report, 'a job report').then((ack) => {
        if (ack !== undefined) logger.log('info', 'publisher: job report sent', { job: report.job, ok: report.ok, files: files.size, bytes: `${report.bytes}n` });
      }),
    );
  };

  client.on('statechange', (change) => {
    if (change.to === 'reconnecting') {
      queuedOffline = 0;
      logger.log('warn', 'publisher: the router is away; queueing readings until it is back', { reason: change.reason, code: change.code, seq });
    } else if (change.to === 'open') {
      logger.log('info', 'publisher: back; sending what was queued meanwhile', { queued: queuedOffline, seq });
    }
  });
  client.on('error', (error) => logger.log('warn', 'publisher: client error', { code: error.code, error: error.message }));

  const timer = setInterval(() => {
    if (stopped) return;
    tick += 1;
    publishReading();
    if (tick % jobEvery === 0) publishJob();
  }, intervalMs);

  const stop = async (): Promise<void> => {
    stopped = true;
    clearInterval(timer);
    while (inflight.size > 0) await Promise.allSettled([...inflight]);
  };

  logger.log('info', 'publisher: started', { name: client.name, intervalMs, rooms: ROOMS.length });
  return {
    client,
    get seq() {
      return seq;
    },
    get total() {
      return total;
    },
    get pending() {
      return inflight.size;
    },
    stop,
    async close() {
      stopped = true;
      closed = true;
      clearInterval(timer);
      await client.close();
    },
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
