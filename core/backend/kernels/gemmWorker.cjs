/**
 * A helper thread for graft's threaded wasm backend (gemmThreads.ts): instantiates the generated
 * module (the GEMM, causal attention's softmax, GELU: gemmModuleBytes) on the
 * backend's shared memory, then, each time the main thread bumps the round word, claims and runs
 * tasks of that round from its back end, while the main thread claims from the front
 * (`claimAndRun` in gemmThreads.ts; this loop mirrors it). It sleeps in Atomics.wait between
 * rounds, no spinning: the machine may have no core to spare. A task always counts as finished, even if it trapped
 * (then ERROR is set), so the main thread never waits forever.
 */
'use strict';
const { workerData } = require('node:worker_threads');

const { bytes, memory, control, layout } = workerData;
const { GEN, NEXT, FINISHED, ERROR, HEADER, STRIDE, KIND, CALLS_AT, funcs } = layout;
const ctrl = new Int32Array(control);
const ctrlF = new Float32Array(control);
const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;
// By call kind, as gemmThreads.ts's POOL_FUNCS: [name, argument types ('i' int32, 'f' float32)].
const fns = funcs.map(([name]) => instance[name]);
const types = funcs.map(([, args]) => args);
const gemm = fns[0];

let seen = 0;
for (;;) {
  Atomics.wait(ctrl, GEN, seen);
  const round = Atomics.load(ctrl, GEN);
  seen = round;
  const tag = round & 0x3ff;
  for (;;) {
    // The claim word: (round & 0x3ff) << 22 | front << 11 | back; helpers take tasks from the back.
    const cur = Atomics.load(ctrl, NEXT);
    if (cur >>> 22 !== tag) break;
    const back = cur & 0x7ff;
    if (((cur >>> 11) & 0x7ff) >= back) break;
    if (Atomics.compareExchange(ctrl, NEXT, cur, cur - 1) !== cur) continue;
    const t = back - 1;
    try {
      const end = ctrl[HEADER + t + 1];
      for (let i = ctrl[HEADER + t]; i < end; i++) {
        const o = CALLS_AT + i * STRIDE;
        const kind = ctrl[o + KIND];
        if (kind === 0) {
          gemm(ctrl[o], ctrl[o + 1], ctrl[o + 2], ctrl[o + 3], ctrl[o + 4], ctrl[o + 5], ctrl[o + 6], ctrl[o + 7],
            ctrl[o + 8], ctrl[o + 9], ctrl[o + 10], ctrl[o + 11]);
        } else {
          const sig = types[kind];
          const args = new Array(sig.length);
          for (let j = 0; j < sig.length; j++) args[j] = sig[j] === 'f' ? ctrlF[o + j] : ctrl[o + j];
          fns[kind](...args);
        }
      }
    } catch {
      Atomics.store(ctrl, ERROR, 1);
    }
    Atomics.add(ctrl, FINISHED, 1);
    Atomics.notify(ctrl, FINISHED);
  }
}
