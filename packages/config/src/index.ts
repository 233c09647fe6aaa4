export { boolean, int, keyValueList, list, logLevel, optionalString, port } from "./fields.ts";
export { ConfigError, parseEnv } from "./parse-env.ts";
