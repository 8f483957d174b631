export { saveCheckpoint, toNamedArray, checksumOf, assertFiniteArrays, type CheckpointSource, type SaveOptions, type SavedParams } from './saveCheckpoint.ts';
export { loadCheckpoint, assignParams, type LoadOptions, type LoadTarget } from './loadCheckpoint.ts';
export { readCheckpoint, readCheckpointManifest, readBaseCheckpoint, paramsChecksum, baseParamName, type CheckpointData, type ReadOptions } from './readCheckpoint.ts';
export { encodeSafetensors, decodeSafetensors, firstNonFinite, type NamedArray } from './safetensors.ts';
export { writeDirAtomic, resolveCheckpointDir } from './atomicDir.ts';
export { MANIFEST, PARAMS_FILE, STATE_FILE, type Manifest, type FileChecksum, type BaseCheckpointRef } from './manifest.ts';
export { isLeftover, type FileWriter, type WriteDirOptions } from './atomicDir.ts';
export { isProcessAlive, thisHost } from './processAlive.ts';
export { newWriterTag, parseWriterTag, formatWriterTag, writerIsGone, type WriterTag } from './writerTag.ts';
