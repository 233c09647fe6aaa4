import { useEffect, useRef, useSyncExternalStore } from "react";
import type uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { useFlow } from "../flow/connection.tsx";
import type { UsageSample } from "../lib/flow-containers.ts";

/** Live CPU and memory (percent) of one container, drawn with uPlot from the usage samples. */
export function UsageChart({ containerId }: { containerId: string }) {
  const { usage } = useFlow();
  const samples = useSyncExternalStore(usage.subscribe, () => usage.samples(containerId));
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(samples);
  latest.current = samples;

  useEffect(() => {
    let cancelled = false;
    void import("uplot").then(({ default: UPlot }) => {
      if (cancelled || !box.current) return;
      plot.current = new UPlot(
        {
          width: Math.max(320, box.current.clientWidth),
          height: 180,
          scales: { y: { range: [0, 100] } },
          series: [
            {},
            { label: "CPU %", stroke: "#1d4ed8" },
            { label: "Memory %", stroke: "#7e22ce" },
          ],
          axes: [{}, { values: (_u, ticks) => ticks.map((t) => `${t}%`) }],
        },
        toData(latest.current),
        box.current,
      );
    });
    return () => {
      cancelled = true;
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    const list = samples ?? [];
    plot.current?.setData([
      list.map((s) => s.at / 1000),
      list.map((s) => s.cpu),
      list.map((s) => s.memory),
    ]);
  }, [samples]);

  return (
    <figure>
      <div ref={box} />
      <figcaption className="sr-only">CPU and memory use over the last samples</figcaption>
    </figure>
  );
}

/** uPlot's columns: times in seconds, CPU and memory percentages. */
function toData(samples: UsageSample[] | undefined): uPlot.AlignedData {
  const list = samples ?? [];
  return [list.map((s) => s.at / 1000), list.map((s) => s.cpu), list.map((s) => s.memory)];
}
