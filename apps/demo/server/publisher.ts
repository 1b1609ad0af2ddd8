import { type Client, connect } from '@herald/client';
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
  url: string;
  logger: Logger;
  /** Time between two readings. Default 1,000 ms. */
  intervalMs?: number;
  /** A job report goes out every this many readings. Default 10. */
  jobEvery?: number;
  random?: () => number;
}

export interface Publisher {
  /** Readings published so far. */
  readonly total: bigint;
  close(): Promise<void>;
}

const ROOMS = ['bridge', 'kitchen', 'lab', 'engine-room'] as const;

/**
 * A Node service that connects like any client ("sensor-hub") and publishes a reading to
 * `demo.sensors.<room>` every interval, rooms in turn, and a backup job report now and then.
 */
export async function startPublisher(options: PublisherOptions): Promise<Publisher> {
  const { logger } = options;
  const random = options.random ?? Math.random;
  const intervalMs = options.intervalMs ?? 1000;
  const jobEvery = options.jobEvery ?? 10;
  const client: Client = await connect(options.url, { name: 'sensor-hub', info: { kind: 'service', role: 'publisher', pid: process.pid } });
  const temperatures = new Map<string, number>(ROOMS.map((room) => [room, round(18 + random() * 6)]));
  let total = 0n;
  let tick = 0;
  let stopped = false;

  const publishReading = async (): Promise<void> => {
    const room = ROOMS[tick % ROOMS.length]!;
    const celsius = round(clamp((temperatures.get(room) ?? 20) + (random() - 0.5), 15, 28));
    temperatures.set(room, celsius);
    total += 1n;
    const reading: SensorReading = { at: new Date(), room, celsius, rooms: new Map(temperatures), total };
    const ack = await client.publish(`${SENSOR_TOPIC_PREFIX}${room}`, reading);
    if (total % 10n === 0n) logger.log('info', 'publisher: readings sent', { total: `${total}n`, topic: ack.topic, offset: ack.offset });
  };

  const publishJob = async (): Promise<void> => {
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
    await client.publish(JOB_TOPIC, report);
    logger.log('info', 'publisher: job report sent', { job: report.job, ok: report.ok, files: files.size, bytes: `${report.bytes}n` });
  };

  const timer = setInterval(() => {
    tick += 1;
    const work = tick % jobEvery === 0 ? Promise.all([publishReading(), publishJob()]) : publishReading();
    work.catch((error: unknown) => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      logger.log('warn', 'publisher: stopped, a publish failed', { error: String(error) });
    });
  }, intervalMs);

  logger.log('info', 'publisher: started', { name: client.name, intervalMs, rooms: ROOMS.length });
  return {
    get total() {
      return total;
    },
    async close() {
      stopped = true;
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
