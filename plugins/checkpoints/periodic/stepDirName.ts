const STEP_DIR = /^step-(\d+)$/;

/** The folder name of the checkpoint taken after `step` optimizer steps. */
export function stepDirName(step: number): string {
  return `step-${step}`;
}

/** The step of a checkpoint folder name (`step-12` → 12), or undefined for any other name. */
export function parseStepDir(name: string): number | undefined {
  const m = STEP_DIR.exec(name);
  return m ? Number(m[1]) : undefined;
}
