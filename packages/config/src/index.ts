export {
  boolean,
  int,
  isPlaceholder,
  json,
  keyValueList,
  list,
  logLevel,
  optionalString,
  parseJsonWith,
  port,
  secret,
} from "./fields.ts";
export { ConfigError, parseEnv } from "./parse-env.ts";
