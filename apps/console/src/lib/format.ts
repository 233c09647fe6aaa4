/** Display formatters: pure, so the pages and their tests agree on what an operator reads. */

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** `1536` → `1.5 KiB`; one decimal below 10 of a unit, none above. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "–";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

/** `12.345` → `12.3%`. */
export function formatPercent(percent: number): string {
  if (!Number.isFinite(percent)) return "–";
  return `${percent.toFixed(1)}%`;
}

/** Seconds as the two largest units: `3725` → `1h 2m`, `59` → `59s`. */
export function formatDuration(totalSeconds: number): string {
  if (!Number.isFinite(totalSeconds) || totalSeconds < 0) return "–";
  const s = Math.floor(totalSeconds);
  const parts: [number, string][] = [
    [Math.floor(s / 86_400), "d"],
    [Math.floor((s % 86_400) / 3600), "h"],
    [Math.floor((s % 3600) / 60), "m"],
    [s % 60, "s"],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  if (first === -1) return "0s";
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, u]) => `${n}${u}`)
    .join(" ");
}

/** How long ago `iso` was, from `now`: `just now`, `42s ago`, `3m ago`, `in 5m` for the future. */
export function formatRelative(iso: string, now: number): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return "–";
  const seconds = Math.round((now - at) / 1000);
  if (Math.abs(seconds) < 2) return "just now";
  const text = formatDuration(Math.abs(seconds));
  return seconds > 0 ? `${text} ago` : `in ${text}`;
}

/** The time left until `iso` (a grace period's end), or `expired` once it passed. */
export function formatCountdown(iso: string, now: number): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return "–";
  const seconds = Math.ceil((at - now) / 1000);
  return seconds <= 0 ? "expired" : `${formatDuration(seconds)} left`;
}

/** A short container id (Docker's 12 characters). */
export function shortId(id: string): string {
  return id.slice(0, 12);
}
