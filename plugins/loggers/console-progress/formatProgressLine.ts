import { formatCount } from './formatCount.ts';
import { formatDuration } from './formatDuration.ts';

/** What a progress line shows; fields left undefined are omitted (or shown as `?`). */
export interface ProgressInfo {
  step: number;
  totalSteps?: number;
  /** Fraction done in [0, 1] (drives the bar and percentage). */
  fraction?: number;
  /** 0-based epoch; shown 1-based. */
  epoch: number;
  epochs: number;
  /** Whether the epochs bound the run (else a step limit ends it first and `epoch 1/1000` would mislead): the epoch is shown only then. Default true. */
  epochBound?: boolean;
  loss?: number;
  tokensPerSecond?: number;
  lr?: number;
  etaSeconds?: number;
}

export interface LineFormat {
  /** Bar cells; 0 for no bar (plain log lines). */
  barWidth?: number;
  /** Cut the line to this many characters (a terminal's width) so it never wraps. */
  maxWidth?: number;
}

/** `[=====>    ]` for `fraction` over `width` cells. */
export function progressBar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, fraction));
  const full = Math.floor(f * width);
  const head = full < width ? '>' : '';
  return `[${'='.repeat(full)}${head}${' '.repeat(Math.max(0, width - full - head.length))}]`;
}

/**
 * One progress line: `step 12/40 [=====>   ]  30% | epoch 1/2 | loss 2.3456 | 1.2k tok/s | lr 5.00e-1 | ETA 3m07s`.
 */
export function formatProgressLine(p: ProgressInfo, fmt: LineFormat = {}): string {
  const barWidth = fmt.barWidth ?? 0;
  let head = `step ${p.step}${p.totalSteps !== undefined ? `/${p.totalSteps}` : ''}`;
  if (p.fraction !== undefined) {
    const pct = `${Math.floor(p.fraction * 100)}%`;
    head += barWidth > 0 ? ` ${progressBar(p.fraction, barWidth)} ${pct.padStart(4)}` : ` (${pct})`;
  }
  const parts = [head];
  if (p.epochBound !== false) parts.push(`epoch ${Math.min(p.epoch + 1, Math.max(p.epochs, 1))}/${p.epochs}`);
  if (p.loss !== undefined) parts.push(`loss ${Number.isFinite(p.loss) ? p.loss.toFixed(4) : String(p.loss)}`);
  if (p.tokensPerSecond !== undefined) parts.push(`${formatCount(p.tokensPerSecond)} tok/s`);
  if (p.lr !== undefined) parts.push(`lr ${p.lr.toExponential(2)}`);
  if (p.fraction !== undefined && p.fraction < 1) parts.push(`ETA ${formatDuration(p.etaSeconds)}`);
  const line = parts.join(' | ');
  return fmt.maxWidth !== undefined && line.length > fmt.maxWidth ? line.slice(0, Math.max(0, fmt.maxWidth)) : line;
}
