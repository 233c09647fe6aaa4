/**
 * Times in Docker's log API as nanoseconds since the epoch (bigint): Docker stamps each line with
 * nanosecond precision, and `since` takes "<seconds>.<nanoseconds>".
 */

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/i;
const NS_PER_SECOND = 1_000_000_000n;

/** Nanoseconds of an RFC 3339 time (any number of fraction digits up to 9), or undefined. */
export function parseTimeNs(text: string): bigint | undefined {
  const match = RFC3339.exec(text);
  if (!match) return undefined;
  const ms = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((match[2] ?? "").padEnd(9, "0"));
}

/** A request's `since` (unix seconds, fractions allowed, or RFC 3339; validated) in nanoseconds. */
export function sinceToNs(since: number | string): bigint {
  if (typeof since === "string") {
    const ns = parseTimeNs(since);
    if (ns === undefined) throw new RangeError(`not an RFC 3339 time: ${since}`);
    return ns < 0n ? 0n : ns;
  }
  const seconds = Math.floor(since);
  return BigInt(seconds) * NS_PER_SECOND + BigInt(Math.round((since - seconds) * 1e9));
}

/** Docker's form of a time for `since`: "<seconds>.<9 digits>". */
export function dockerTimeArg(ns: bigint): string {
  return `${ns / NS_PER_SECOND}.${String(ns % NS_PER_SECOND).padStart(9, "0")}`;
}

/** Now, in nanoseconds (millisecond resolution: the host clock, which Docker's stamps come from). */
export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
