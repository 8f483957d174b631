import { resultNumber } from '../recipe/experiment.ts';
import { spread, type Spread } from '../transfer-vs-scratch/aggregate.ts';
import { collapsed, mostlyOneClass } from '../transfer-vs-scratch/testSetBaseline.ts';

/**
 * One classifier of the `finetune-methods` grid (a backbone fine-tuned by a method, from scratch,
 * or a baseline) at a labelled-set size and a seed, with what it cost.
 */
export interface MethodRun {
  /** `gpt`, `bert`, or `baseline` for the bag-of-words and majority rows. */
  backbone: string;
  /** A fine-tuning method, `scratch`, `bag-of-words` or `majority`. */
  method: string;
  size: number;
  examples: number;
  seed: number;
  f1: number;
  accuracy: number;
  /** Whether the run predicted one class for the whole test set. */
  collapsed: boolean;
  /** Whether it predicted one class for at least 95% of it (collapsed runs included): `mostlyOneClass`. */
  mostlyOneClass?: boolean;
  trainableParameters?: number;
  totalParameters?: number;
  /** Bytes of the checkpoint the run wrote at its end. */
  checkpointBytes?: number;
  /** Median seconds of a training step. */
  stepSeconds?: number;
  /** Most bytes tfjs held during a step. */
  peakTensorBytes?: number;
}

/**
 * A run's row from its stage result.json: F1, accuracy and examples (required: a CONFIG error naming
 * the run without them), one-class flags from its confusion matrix, and what `callback:resource-usage`
 * offered (parameters, checkpoint bytes, step time, peak tensor memory) when present.
 */
export function methodRun(backbone: string, method: string, size: number, seed: number, res: Readonly<Record<string, unknown>> | undefined): MethodRun {
  const what = `${backbone} ${method} run at size ${size}, seed ${seed}`;
  const opt = (k: string) => resultNumber(res, k, what, false);
  const confusion = res?.confusion as number[][] | undefined;
  return {
    backbone,
    method,
    size,
    seed,
    examples: resultNumber(res, 'train_examples', what),
    f1: resultNumber(res, 'test_f1', what),
    accuracy: resultNumber(res, 'test_accuracy', what),
    collapsed: Array.isArray(confusion) ? collapsed(confusion) : false,
    mostlyOneClass: Array.isArray(confusion) ? mostlyOneClass(confusion) : false,
    trainableParameters: opt('trainable_parameters'),
    totalParameters: opt('total_parameters'),
    checkpointBytes: opt('checkpoint_bytes'),
    stepSeconds: opt('step_seconds'),
    peakTensorBytes: opt('peak_tensor_bytes'),
  };
}

export interface MethodRow {
  backbone: string;
  method: string;
  /** Per size (the order of `sizes`): F1 and accuracy over seeds, examples trained on. */
  bySize: { size: number; examples: number; f1: Spread; accuracy: Spread; collapsed: number; mostlyOneClass: number }[];
  /** Cost, over every run of the row (the largest trainable count; medians of the rest). */
  trainableParameters?: number;
  totalParameters?: number;
  checkpointBytes?: number;
  stepSeconds?: number;
  peakTensorBytes?: number;
}

function medianOf(values: readonly (number | undefined)[]): number | undefined {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1]! + v[m]!) / 2;
}

/** Rows in the order runs first appear (backbone, then method), each with every size. */
export function methodRows(runs: readonly MethodRun[], sizes: readonly number[]): MethodRow[] {
  const keys = [...new Set(runs.map((r) => `${r.backbone}\u0000${r.method}`))];
  return keys.map((k) => {
    const [backbone, method] = k.split('\u0000') as [string, string];
    const of = runs.filter((r) => r.backbone === backbone && r.method === method);
    const trainable = of.map((r) => r.trainableParameters).filter((x): x is number => x !== undefined);
    return {
      backbone,
      method,
      bySize: sizes.map((size) => {
        const at = of.filter((r) => r.size === size);
        return {
          size,
          examples: at.length ? Math.max(...at.map((r) => r.examples)) : 0,
          f1: spread(at.map((r) => r.f1)),
          accuracy: spread(at.map((r) => r.accuracy)),
          collapsed: at.filter((r) => r.collapsed).length,
          mostlyOneClass: at.filter((r) => r.collapsed || r.mostlyOneClass).length,
        };
      }),
      ...(trainable.length ? { trainableParameters: Math.max(...trainable) } : {}),
      ...optional('totalParameters', medianOf(of.map((r) => r.totalParameters))),
      ...optional('checkpointBytes', medianOf(of.map((r) => r.checkpointBytes))),
      ...optional('stepSeconds', medianOf(of.map((r) => r.stepSeconds))),
      ...optional('peakTensorBytes', medianOf(of.map((r) => r.peakTensorBytes))),
    };
  });
}

function optional<K extends string>(key: K, v: number | undefined): Partial<Record<K, number>> {
  return v === undefined ? {} : ({ [key]: v } as Record<K, number>);
}

const pm = (s: Spread) => (s.n === 0 ? '–' : `${s.mean.toFixed(3)} ± ${s.std.toFixed(3)}`);

/** 1234567 → "1.23M", 5400 → "5.4k". */
export function shortCount(n: number | undefined): string {
  if (n === undefined) return '–';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/** Bytes as KB / MB (powers of 1024). */
export function shortBytes(n: number | undefined): string {
  if (n === undefined) return '–';
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(2)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} B`;
}

/** The names of a table's first two columns: what a row's `backbone` and `method` are (another experiment's rows may be classifiers and embeddings). */
export interface RowLabels {
  group: string;
  variant: string;
}
const DEFAULT_LABELS: RowLabels = { group: 'backbone', variant: 'method' };

function sizeHeader(size: number, examples: number): string {
  return size === 0 ? `all (${examples})` : String(size);
}

/**
 * The methods side by side: test macro-F1 (mean ± std over seeds) at each size, runs that
 * predicted one class (for the whole test set / for at least 95% of it), then what each method costs: parameters trained (and their share),
 * checkpoint bytes, step time and peak tensor memory.
 */
export function methodsTable(rows: readonly MethodRow[], labels: RowLabels = DEFAULT_LABELS): string {
  const sizes = rows[0]?.bySize ?? [];
  const headSizes = sizes.map((s) => `F1 at ${sizeHeader(s.size, Math.max(...rows.map((r) => r.bySize.find((b) => b.size === s.size)?.examples ?? 0)))}`);
  const head =
    `| ${labels.group} | ${labels.variant} | ${headSizes.join(' | ')} | one-class runs (all / ≥95%) | trained parameters | checkpoint | step | peak tensor memory |\n` +
    `|:---|:---|${sizes.map(() => '---:').join('|')}|---:|---:|---:|---:|---:|`;
  const lines = rows.map((r) => {
    const share = r.trainableParameters !== undefined && r.totalParameters ? ` (${((100 * r.trainableParameters) / r.totalParameters).toFixed(r.trainableParameters / r.totalParameters < 0.1 ? 1 : 0)}%)` : '';
    const step = r.stepSeconds === undefined ? '–' : `${(r.stepSeconds * 1000).toFixed(0)} ms`;
    return (
      `| ${r.backbone} | ${r.method} | ${r.bySize.map((b) => pm(b.f1)).join(' | ')} | ${r.bySize.reduce((n, b) => n + b.collapsed, 0)} / ${r.bySize.reduce((n, b) => n + b.mostlyOneClass, 0)} | ` +
      `${shortCount(r.trainableParameters)}${share} | ${shortBytes(r.checkpointBytes)} | ${step} | ${shortBytes(r.peakTensorBytes)} |`
    );
  });
  return [head, ...lines].join('\n') + '\n';
}

/** Test accuracy per size, as the F1 table. */
export function methodsAccuracyTable(rows: readonly MethodRow[], labels: RowLabels = DEFAULT_LABELS): string {
  const sizes = rows[0]?.bySize ?? [];
  const head = `| ${labels.group} | ${labels.variant} | ${sizes.map((s) => `accuracy at ${s.size === 0 ? 'all' : s.size}`).join(' | ')} |\n|:---|:---|${sizes.map(() => '---:').join('|')}|`;
  return [head, ...rows.map((r) => `| ${r.backbone} | ${r.method} | ${r.bySize.map((b) => pm(b.accuracy)).join(' | ')} |`)].join('\n') + '\n';
}

/** Every run, one-class and mostly-one-class runs flagged. */
export function methodRunsTable(runs: readonly MethodRun[], labels: RowLabels = DEFAULT_LABELS): string {
  const head = `| ${labels.group} | ${labels.variant} | examples | seed | F1 | accuracy | |\n|:---|:---|---:|---:|---:|---:|:---|`;
  const lines = runs.map(
    (r) => `| ${r.backbone} | ${r.method} | ${r.examples} | ${r.seed} | ${r.f1.toFixed(3)} | ${r.accuracy.toFixed(3)} | ${r.method === 'majority' ? '' : r.collapsed ? '**one class**' : r.mostlyOneClass ? '*mostly one class*' : ''} |`,
  );
  return [head, ...lines].join('\n') + '\n';
}
