import { useSyncExternalStore } from "react";
import { useFlow } from "../flow/connection.tsx";
import { sparklinePoints } from "../lib/sparkline.ts";

/** A tiny SVG line of one metric of a container's recent samples (0-100 %), with a text label. */
export function Sparkline({
  containerId,
  metric,
  label,
}: {
  containerId: string;
  metric: "cpu" | "memory";
  label: string;
}) {
  const { usage } = useFlow();
  const samples = useSyncExternalStore(usage.subscribe, () => usage.samples(containerId));
  const values = (samples ?? []).map((s) => s[metric]);
  return (
    <svg
      width="80"
      height="20"
      viewBox="0 0 80 20"
      role="img"
      aria-label={label}
      className="inline-block align-middle"
    >
      <polyline
        points={sparklinePoints(values, 80, 20)}
        fill="none"
        stroke={metric === "cpu" ? "#1d4ed8" : "#7e22ce"}
        strokeWidth="1.5"
      />
    </svg>
  );
}
