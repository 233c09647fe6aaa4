import type { LogLine } from "@dockflow/protocol";
import { StreamDemuxer } from "./demux.ts";
import { DOCKER_MESSAGE_BYTES, LineSplitter } from "./line-splitter.ts";

/** Docker's log stream of one container (multiplexed, or raw for a TTY) to lines. */
export class LogDecoder {
  private readonly demuxer: StreamDemuxer;
  private readonly splitter: LineSplitter;

  constructor(options: { tty: boolean; timestamps: boolean }) {
    this.demuxer = new StreamDemuxer({ tty: options.tty });
    this.splitter = new LineSplitter({
      timestamps: options.timestamps,
      ...(options.tty && { unmarkedMessageBytes: DOCKER_MESSAGE_BYTES }),
    });
  }

  push(chunk: Buffer): LogLine[] {
    return this.demuxer.push(chunk).flatMap((piece) => this.splitter.push(piece));
  }

  end(): LogLine[] {
    const rest = this.demuxer.end().flatMap((piece) => this.splitter.push(piece));
    return [...rest, ...this.splitter.end()];
  }
}
