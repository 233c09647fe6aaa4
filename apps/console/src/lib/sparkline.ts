/**
 * SVG polyline points for percentages (0-100 on a fixed scale, so rows compare), the newest at
 * the right edge; the last `width / 2` values at most.
 */
export function sparklinePoints(values: number[], width: number, height: number): string {
  const kept = values.slice(-Math.floor(width / 2));
  if (kept.length === 0) return "";
  const step = kept.length > 1 ? width / (kept.length - 1) : 0;
  return kept
    .map((value, index) => {
      const clamped = Math.min(100, Math.max(0, value));
      const x = kept.length > 1 ? index * step : width;
      const y = height - (clamped / 100) * height;
      return `${round(x)},${round(y)}`;
    })
    .join(" ");
}

const round = (n: number) => Math.round(n * 10) / 10;
