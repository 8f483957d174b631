/** Command line of `npm run bench`. */
export type BenchBackend = 'wasm' | 'wasm-stock' | 'cpu' | 'wasm-2t';

export interface BenchArgs {
  /** Also run the 1,000-step memory run. */
  long: boolean;
  /** Fewer steps everywhere (a smoke run of the report). */
  quick: boolean;
  /** Backends for the throughput table, in order. */
  backends: BenchBackend[];
  /** Run the PyTorch reference if torch is installed. */
  torch: boolean;
  /** Also run the scaling section (GPT at 0.8M-25M parameters against PyTorch; a few minutes). */
  scaling: boolean;
  /** `--only a,b`: just these sections (the rest are reported as skipped); undefined: all. */
  only?: ReadonlySet<BenchSection>;
}

const ALL: readonly BenchBackend[] = ['wasm', 'wasm-stock', 'cpu'];

/** XNNPACK / GEMM threads a bench backend runs wasm with (null: not wasm). */
export function benchThreads(b: BenchBackend): number | null {
  return b === 'cpu' ? null : b === 'wasm-2t' ? 2 : 1;
}

/**
 * The wasm thread count of the bench process itself: that of the first wasm backend listed (the
 * count is fixed when wasm first starts). Wasm rows with another count run in a child process.
 */
export function processWasmThreads(backends: readonly BenchBackend[]): number {
  for (const b of backends) {
    const n = benchThreads(b);
    if (n != null) return n;
  }
  return 1;
}

/**
 * `--long`, `--quick`, `--no-torch`, `--scaling`, `--only a,b` (sections), `--backends a,b` (or `--backends=a,b`). Backends: `wasm`
 * (graft's fast kernels and, as a second row, the stock ones), `wasm-fast` / `wasm-stock` (one of
 * the two), `cpu`, and the opt-in `wasm-2t` (XNNPACK on 2 threads: it only pays when the second
 * core is free). Unknown flags and backends are errors, so a typo does not silently run all.
 */
/**
 * What `--only` picks from: (a) hook overhead, (b) GPT throughput with its PyTorch run, (c) the
 * AWD-LSTM with its own, generation, scaling, activation checkpointing (with `--scaling`, or
 * alone), the 1,000-step run.
 */
export const BENCH_SECTIONS = ['overhead', 'throughput', 'awd-lstm', 'generation', 'scaling', 'checkpointing', 'long'] as const;
export type BenchSection = (typeof BENCH_SECTIONS)[number];

export function parseArgs(argv: readonly string[]): BenchArgs {
  const out: BenchArgs = { long: false, quick: false, backends: [...ALL], torch: true, scaling: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--long') out.long = true;
    else if (a === '--quick') out.quick = true;
    else if (a === '--no-torch') out.torch = false;
    else if (a === '--scaling') out.scaling = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const value = a === '--only' ? argv[++i] : a.slice('--only='.length);
      const names = (value ?? '').split(',').map((x) => x.trim()).filter(Boolean);
      const bad = names.filter((x) => !(BENCH_SECTIONS as readonly string[]).includes(x));
      if (names.length === 0 || bad.length) throw new Error(`bench: --only needs sections from ${BENCH_SECTIONS.join(', ')}${bad.length ? `; unknown: ${bad.join(', ')}` : ''} (or token-shards alone, first: a report of its own)`);
      out.only = new Set(names as BenchSection[]);
      // Naming a section that is opt-in turns it on.
      if (out.only.has('scaling')) out.scaling = true;
      if (out.only.has('long')) out.long = true;
    }
    else if (a === '--backends' || a.startsWith('--backends=')) {
      const value = a === '--backends' ? argv[++i] : a.slice('--backends='.length);
      if (value === undefined || value === '') throw new Error('bench: --backends needs a list, e.g. --backends wasm,cpu');
      out.backends = parseBackends(value);
    } else {
      throw new Error(`bench: unknown argument '${a}'; expected --long, --quick, --no-torch, --scaling, --only <sections>, --backends <list>`);
    }
  }
  return out;
}

function parseBackends(value: string): BenchBackend[] {
  const list: BenchBackend[] = [];
  const add = (b: BenchBackend) => {
    if (!list.includes(b)) list.push(b);
  };
  for (const raw of value.split(',')) {
    const name = raw.trim().toLowerCase();
    if (name === 'wasm') {
      add('wasm');
      add('wasm-stock');
    } else if (name === 'wasm-fast') add('wasm');
    else if (name === 'wasm-stock' || name === 'cpu' || name === 'wasm-2t') add(name);
    else throw new Error(`bench: unknown backend '${raw}' in --backends; expected wasm, wasm-fast, wasm-stock, cpu, wasm-2t`);
  }
  return list;
}
