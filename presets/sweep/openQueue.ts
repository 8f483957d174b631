import path from 'node:path';
import { FileQueue } from './fileQueue.ts';
import type { JobQueue, LeaseTiming } from './jobQueue.ts';

export interface QueueChoice {
  /** The shared directory (the embedded queue lives in it). */
  dir: string;
  /** `redis://host:port`: BullMQ on that server; absent: the embedded queue. */
  redis?: string;
  /** BullMQ's queue name (default: `graft-` and the shared directory's name); one shared directory per name. */
  name?: string;
  timing?: Partial<LeaseTiming>;
}

/** The queue a sweep or worker uses: BullMQ when given a Redis URL (checked to answer), else the embedded file queue. */
export async function openQueue(c: QueueChoice): Promise<JobQueue> {
  if (c.redis) {
    // Loaded here, not at import: a user without Redis never loads BullMQ and ioredis.
    const { BullmqQueue } = await import('./bullmqQueue.ts');
    return new BullmqQueue(c.redis, c.name ?? defaultQueueName(c.dir), c.timing).ready();
  }
  return new FileQueue(c.dir, c.timing);
}

/** `graft-<folder name>`: workers on other machines mount the shared directory elsewhere, but under the same name. */
export function defaultQueueName(dir: string): string {
  return `graft-${path.basename(path.resolve(dir)).replace(/[^A-Za-z0-9_-]/g, '_')}`;
}
