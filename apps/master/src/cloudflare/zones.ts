import { CloudflareError } from "./errors.ts";
import { normalizeHostname } from "./ingress.ts";

export interface ZoneRef {
  id: string;
  name: string;
}

export function hostnameInZone(hostname: string, zoneName: string): boolean {
  return hostname === zoneName || hostname.endsWith(`.${zoneName}`);
}

/** The zone whose name is the longest suffix of `hostname` (label-aligned), if any. */
export function longestSuffixZone(
  hostname: string,
  zones: readonly ZoneRef[],
): ZoneRef | undefined {
  let best: ZoneRef | undefined;
  for (const zone of zones) {
    if (!hostnameInZone(hostname, zone.name)) continue;
    if (!best || zone.name.length > best.name.length) best = zone;
  }
  return best;
}

export interface ZoneDirectoryOptions {
  /** Lists every zone of the account (all pages). */
  load: () => Promise<ZoneRef[]>;
  ttlMs: number;
  now: () => number;
}

/**
 * The account's zones, cached for `ttlMs`; concurrent refreshes share one listing. A hostname
 * that matches no cached zone triggers one refresh (a zone added moments ago) before failing.
 */
export class ZoneDirectory {
  readonly #options: ZoneDirectoryOptions;
  #cache: { zones: ZoneRef[]; at: number } | undefined;
  #loading: Promise<ZoneRef[]> | undefined;

  constructor(options: ZoneDirectoryOptions) {
    this.#options = options;
  }

  /** Forgets the cached list. */
  invalidate(): void {
    this.#cache = undefined;
  }

  async #zones(force: boolean): Promise<{ zones: ZoneRef[]; fresh: boolean }> {
    const cache = this.#cache;
    if (!force && cache && this.#options.now() - cache.at < this.#options.ttlMs) {
      return { zones: cache.zones, fresh: false };
    }
    if (!this.#loading) {
      this.#loading = this.#options
        .load()
        .then((zones) => {
          const normalized = zones.map((zone) => ({
            id: zone.id,
            name: normalizeHostname(zone.name),
          }));
          this.#cache = { zones: normalized, at: this.#options.now() };
          return normalized;
        })
        .finally(() => {
          this.#loading = undefined;
        });
    }
    return { zones: await this.#loading, fresh: true };
  }

  /**
   * The zone for `hostname`: the zone named `zoneName` when given (the hostname must lie inside
   * it), else the longest zone-suffix match among the account's zones.
   */
  async resolve(
    hostname: string,
    zoneName: string | undefined,
    operation: string,
  ): Promise<ZoneRef> {
    const host = normalizeHostname(hostname);
    const wanted =
      zoneName === undefined || zoneName.trim() === "" ? undefined : normalizeHostname(zoneName);
    if (wanted !== undefined && !hostnameInZone(host, wanted)) {
      throw new CloudflareError(`hostname "${host}" is not inside zone "${wanted}"`, {
        kind: "zone_not_found",
        operation,
      });
    }
    const pick = (zones: ZoneRef[]) =>
      wanted === undefined
        ? longestSuffixZone(host, zones)
        : zones.find((zone) => zone.name === wanted);
    let { zones, fresh } = await this.#zones(false);
    let zone = pick(zones);
    if (!zone && !fresh) {
      ({ zones, fresh } = await this.#zones(true));
      zone = pick(zones);
    }
    if (!zone) {
      const message =
        wanted === undefined
          ? `no zone of the Cloudflare account holds "${host}" (zones visible to the token: ${
              zones.length === 0
                ? "none"
                : zones
                    .slice(0, 10)
                    .map((z) => z.name)
                    .join(", ") + (zones.length > 10 ? `, and ${zones.length - 10} more` : "")
            })`
          : `zone "${wanted}" is not in the Cloudflare account (or the token cannot read it)`;
      throw new CloudflareError(message, { kind: "zone_not_found", operation });
    }
    return zone;
  }
}
