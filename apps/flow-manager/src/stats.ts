import type { Readable } from "node:stream";
import { LineReader } from "@dockflow/flow-runtime";
import type { ResourceUsage } from "@dockflow/protocol";
import type { Logger } from "pino";
import type { DockerAdapter } from "./docker.ts";

interface CpuStats {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] };
  system_cpu_usage?: number;
  online_cpus?: number;
}

/** The subset of Docker's stats sample the computation needs. */
export interface StatsSample {
  read?: string;
  cpu_stats?: CpuStats;
  precpu_stats?: CpuStats;
  memory_stats?: {
    usage?: number;
    limit?: number;
    stats?: { total_inactive_file?: number; inactive_file?: number };
  };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
  blkio_stats?: {
    io_service_bytes_recursive?: { op?: string; value?: number }[] | null;
  };
  pids_stats?: { current?: number };
}

/** Resource usage from one sample, computed the way `docker stats` does. */
export function computeUsage(s: StatsSample): ResourceUsage {
  const cpuDelta =
    (s.cpu_stats?.cpu_usage?.total_usage ?? 0) - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const sysDelta = (s.cpu_stats?.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats?.online_cpus || s.cpu_stats?.cpu_usage?.percpu_usage?.length || 1;
  const cpuPercent = cpuDelta > 0 && sysDelta > 0 ? (cpuDelta / sysDelta) * cpus * 100 : 0;

  const usage = s.memory_stats?.usage ?? 0;
  const limit = s.memory_stats?.limit ?? 0;
  const inner = s.memory_stats?.stats;
  let used = usage;
  if (inner?.total_inactive_file !== undefined && inner.total_inactive_file < usage) {
    used = usage - inner.total_inactive_file;
  } else if (inner?.inactive_file !== undefined && inner.inactive_file < usage) {
    used = usage - inner.inactive_file;
  }
  const memoryPercent = limit > 0 ? (used / limit) * 100 : 0;

  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    rx += n.rx_bytes ?? 0;
    tx += n.tx_bytes ?? 0;
  }
  let read = 0;
  let write = 0;
  for (const e of s.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = e.op?.toLowerCase();
    if (op === "read") read += e.value ?? 0;
    else if (op === "write") write += e.value ?? 0;
  }
  const sampled = s.read && !s.read.startsWith("0001-") ? new Date(s.read) : new Date();
  return {
    cpu_percent: round(cpuPercent),
    memory_percent: round(memoryPercent),
    memory_usage_bytes: used,
    memory_limit_bytes: limit,
    network_rx_bytes: rx,
    network_tx_bytes: tx,
    block_read_bytes: read,
    block_write_bytes: write,
    pids: s.pids_stats?.current ?? 0,
    sampled_at: Number.isNaN(sampled.getTime()) ? new Date().toISOString() : sampled.toISOString(),
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

export interface StatsStreamsOptions {
  docker: DockerAdapter;
  onSample: (id: string, usage: ResourceUsage) => void;
  log: Logger;
}

/** One streaming stats request per running managed container; every sample goes to `onSample`. */
export class StatsStreams {
  private readonly streams = new Map<string, Readable>();

  constructor(private readonly options: StatsStreamsOptions) {}

  has(id: string): boolean {
    return this.streams.has(id);
  }

  get count(): number {
    return this.streams.size;
  }

  async watch(id: string): Promise<void> {
    if (this.streams.has(id)) return;
    let stream: Readable;
    try {
      stream = await this.options.docker.statsStream(id);
    } catch (error) {
      this.options.log.debug({ container_id: id, err: String(error) }, "stats stream not opened");
      return;
    }
    if (this.streams.has(id)) {
      stream.destroy();
      return;
    }
    this.streams.set(id, stream);
    const reader = new LineReader();
    stream.on("data", (chunk: Buffer) => {
      for (const event of reader.push(chunk)) {
        if (event.type !== "message" || event.value === null || typeof event.value !== "object")
          continue;
        this.options.onSample(id, computeUsage(event.value as StatsSample));
      }
    });
    const end = () => {
      if (this.streams.get(id) === stream) this.streams.delete(id);
    };
    stream.on("end", end);
    stream.on("close", end);
    stream.on("error", end);
  }

  unwatch(id: string): void {
    const stream = this.streams.get(id);
    this.streams.delete(id);
    stream?.destroy();
  }

  close(): void {
    for (const id of [...this.streams.keys()]) this.unwatch(id);
  }
}
