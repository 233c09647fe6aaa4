export {
  boolean,
  int,
  json,
  keyValueList,
  list,
  logLevel,
  optionalString,
  parseJsonWith,
  port,
} from "./fields.ts";
export { ConfigError, parseEnv } from "./parse-env.ts";
