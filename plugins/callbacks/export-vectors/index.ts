export { ExportVectorsCallback, EXPORT_VECTORS_OPTIONS, type ExportVectorsOptionsInput } from './ExportVectorsCallback.ts';
export { gloveText, formatFloat32, type GloveExport } from './gloveText.ts';
