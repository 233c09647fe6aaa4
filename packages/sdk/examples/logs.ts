import type { FlowClient } from "../src/index.ts";

/**
 * `docker logs -f --tail N` through the flow manager: prints the container's last `tail` lines,
 * then each new one (stderr marked `!`), until the container is removed or `signal` aborts.
 * Resolves with the number of lines printed.
 */
export async function printLogs(
  flow: FlowClient,
  containerId: string,
  options: { tail?: number; signal?: AbortSignal; print?: (text: string) => void } = {},
): Promise<number> {
  const print = options.print ?? console.log;
  const stream = flow.logs(containerId, { tail: options.tail ?? 10 });
  options.signal?.addEventListener("abort", () => void stream.close(), { once: true });
  let printed = 0;
  for await (const batch of stream) {
    if (batch.dropped) print(`... ${batch.dropped} lines dropped (read too slowly)`);
    for (const line of batch.lines) {
      print(`${line.stream === "stderr" ? "!" : " "} ${line.text}`);
      printed++;
    }
    if (batch.ended) print("(the container was removed)");
  }
  return printed;
}
