/**
 * A throwaway redis-server for the sweep tests: on a free loopback port, no persistence, killed at
 * the end. Missing binary: the Redis tests fail under CI (CI=true), and are skipped with the reason
 * logged elsewhere.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { ExecutionContext } from 'ava';

export interface RedisServer {
  url: string;
  stop(): Promise<void>;
}

/** Whether redis-server runs here. */
export function redisAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const proc: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start in 10 s:\n${out}`)), 10_000);
    proc.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited ${code}:\n${out}`));
    });
  });
  proc.stdout!.resume();
  // A test process that dies (an uncaught exception) must not leave the server behind.
  const onExit = () => proc.kill('SIGKILL');
  process.once('exit', onExit);
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) {
          process.off('exit', onExit);
          return resolve();
        }
        process.off('exit', onExit);
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

/**
 * The Redis tests' gate: true when they can run; without the binary, a failure under CI and a
 * logged skip elsewhere.
 */
export function redisGate(t: ExecutionContext): boolean {
  if (redisAvailable()) return true;
  if (process.env.CI) {
    t.fail('redis-server is not installed: .ci/run installs it (apt-get install -y redis-server)');
    return false;
  }
  t.log('skipped: redis-server is not installed (apt-get install redis-server); CI runs this test');
  t.pass();
  return false;
}
