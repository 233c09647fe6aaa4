export { type RuntimeConfig, readConfig } from "./config.ts";
export { createDemoHandlers, DEMO_COMMANDS, type DemoOptions } from "./demo.ts";
export type { Handler, HandlerContext, HandlerTable } from "./handlers.ts";
export { RESERVED_PREFIX } from "./handlers.ts";
export {
  BUILTIN_VERSION,
  CodeLoadError,
  ENTRY_FILES,
  findEntry,
  handlersFrom,
  type LoadedCode,
  loadCode,
} from "./loader.ts";
export { errorFields, jsonLogger, type Logger, type LogLevel, silentLogger } from "./log.ts";
export {
  EnvelopeTooLargeError,
  encodeEnvelope,
  type LineEvent,
  LineReader,
  type LineReaderOptions,
} from "./ndjson.ts";
export { pingRuntime } from "./ping.ts";
export {
  type PingResult,
  type ReloadResult,
  RUNTIME_ERROR_CODES,
  type Runtime,
  type RuntimeErrorCode,
  type RuntimeOptions,
  startRuntime,
} from "./runtime.ts";
