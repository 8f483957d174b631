/**
 * A GEMM helper thread for graft's threaded wasm backend (gemmThreads.ts): instantiates the
 * generated GEMM module on the backend's shared memory, then runs, each time the main thread bumps
 * the generation word, the calls tagged with its index, and counts itself done. It sleeps in
 * Atomics.wait between rounds (no spinning: the machine may have no core to spare).
 */
'use strict';
const { workerData } = require('node:worker_threads');

const { bytes, memory, control, index, layout } = workerData;
const { GEN, DONE, COUNT, STOP, ERROR, HEADER, STRIDE } = layout;
const ctrl = new Int32Array(control);
const gemm = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports.gemm;

let seen = 0;
for (;;) {
  Atomics.wait(ctrl, GEN, seen);
  seen = Atomics.load(ctrl, GEN);
  if (Atomics.load(ctrl, STOP) !== 0) break;
  const count = ctrl[COUNT];
  try {
    for (let i = 0; i < count; i++) {
      const o = HEADER + i * STRIDE;
      if (ctrl[o] !== index) continue;
      gemm(ctrl[o + 1], ctrl[o + 2], ctrl[o + 3], ctrl[o + 4], ctrl[o + 5], ctrl[o + 6], ctrl[o + 7], ctrl[o + 8],
        ctrl[o + 9], ctrl[o + 10], ctrl[o + 11]);
    }
  } catch {
    // A trap (a bad pointer): the main thread must not wait forever, and must know.
    Atomics.store(ctrl, ERROR, index);
  }
  Atomics.add(ctrl, DONE, 1);
  Atomics.notify(ctrl, DONE);
}
