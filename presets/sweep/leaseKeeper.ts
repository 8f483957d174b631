import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** What a lease keeper renews: the embedded queue's take file, or a BullMQ job's lock. Plain data: it goes to a thread. */
export type KeeperSpec =
  | { kind: 'file'; file: string; next: string; token: string }
  | { kind: 'bullmq'; url: string; queue: string; id: string; token: string; leaseMs: number };

// Plain CommonJS, no Graft import: the same code runs from the TypeScript sources and the compiled package.
const CODE = `
const { parentPort, workerData: d } = require('node:worker_threads');
const fs = require('node:fs');
async function main() {
  let renew;
  if (d.spec.kind === 'file') {
    const s = d.spec;
    renew = async () => {
      if (fs.existsSync(s.next)) return false;
      let h;
      try { h = JSON.parse(fs.readFileSync(s.file, 'utf8')); } catch { return false; }
      if (h.token !== s.token) return false;
      const now = new Date();
      fs.utimesSync(s.file, now, now);
      return true;
    };
  } else {
    const s = d.spec;
    const { Queue, Job } = require(d.bullmq);
    const io = require(d.ioredis);
    const Redis = io.Redis || io.default || io;
    const conn = new Redis(s.url, { maxRetriesPerRequest: null });
    conn.on('error', () => {});
    const q = new Queue(s.queue, { connection: conn });
    const job = await Job.fromId(q, s.id);
    renew = async () => (job ? Number(await job.extendLock(s.token, s.leaseMs)) > 0 : false);
  }
  let first = true;
  for (;;) {
    let ok = true;
    try { ok = await renew(); } catch { /* Redis or the file system hiccuped: the next round tries again */ }
    if (!ok) { parentPort.postMessage('lost'); return; }
    if (first) { first = false; parentPort.postMessage('kept'); }
    await new Promise((r) => setTimeout(r, d.everyMs));
  }
}
main().catch((e) => parentPort.postMessage('error: ' + (e && e.message)));
`;

/**
 * Renew a job's lease from a thread of its own, every `everyMs`, whatever the main thread is doing:
 * a stage's set-up (tokenizing a corpus, building a vocabulary) can hold the main thread longer
 * than a lease, and a lease lost to a busy worker would hand a live job to another. Calls `onLost`
 * once when the lease is found lost (the job went to another worker). `ready`: the first renewal
 * is done (the thread starts in a fraction of a second; the caller's own heartbeat covers that). `stop()` ends the thread.
 */
export function keepLease(spec: KeeperSpec, everyMs: number, onLost: () => void): { ready: Promise<void>; stop(): Promise<void> } {
  const req = createRequire(import.meta.url);
  const workerData = { spec, everyMs, ...(spec.kind === 'bullmq' ? { bullmq: req.resolve('bullmq'), ioredis: req.resolve('ioredis') } : {}) };
  let started: () => void = () => {};
  const ready = new Promise<void>((resolve) => (started = resolve));
  const thread = new Worker(CODE, { eval: true, workerData, execArgv: [] });
  thread.unref();
  thread.on('message', (m) => {
    if (m === 'lost') onLost();
    if (m === 'kept' || m === 'lost') started();
  });
  thread.on('error', () => started());
  return { ready, stop: async () => void (await thread.terminate()) };
}
