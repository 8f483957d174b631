export { GraftError, badOption, clip, ECHO_LIMIT, type ErrorDetails } from './GraftError.ts';
export { ErrorCodes, USAGE_ERROR_CODES, type ErrorCode } from './codes.ts';
export { ioError, ioReason, formatBytes, type IoErrorContext } from './ioError.ts';
