export {
  boolean,
  int,
  isPlaceholder,
  keyValueList,
  list,
  logLevel,
  optionalString,
  port,
  secret,
} from "./fields.ts";
export { ConfigError, parseEnv } from "./parse-env.ts";
