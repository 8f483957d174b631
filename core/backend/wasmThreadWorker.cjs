/**
 * Worker bootstrap for graft's multithreaded wasm backend (see wasmThreads.ts). tfjs-backend-wasm
 * ships its pthread worker script only as a string (it starts it from a blob: URL, which Node's
 * Worker cannot load); this file runs that string as the worker's CommonJS body.
 */
'use strict';
const { wasmWorkerContents } = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js');
// The string came through a template literal that turned the script's "\n" escapes into real
// newlines inside string literals; tfjs re-escapes them the same way before using it.
new Function('require', '__filename', wasmWorkerContents.replace(/\n/g, '\\n'))(require, __filename);
