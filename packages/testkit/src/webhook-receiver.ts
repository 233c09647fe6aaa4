import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request a webhook receiver got: its headers and its raw body. */
export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
}

/** How the receiver answers a request: an HTTP status, or `hold` to keep it open until closed. */
export type ReceiverAnswer = number | "hold";

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>/hook` */
  url: string;
  /** Every request, in arrival order (held ones included). */
  received: ReceivedRequest[];
  /** Sets how the following requests are answered (default 200). */
  answer(answer: ReceiverAnswer | ((request: ReceivedRequest) => ReceiverAnswer)): void;
  close(): Promise<void>;
}

/** A real HTTP receiver on 127.0.0.1 for webhook tests. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = [];
  const held: ServerResponse[] = [];
  let decide: (request: ReceivedRequest) => ReceiverAnswer = () => 200;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request = { headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      received.push(request);
      const answer = decide(request);
      if (answer === "hold") {
        held.push(res);
        return;
      }
      res.writeHead(answer, { "content-type": "text/plain" }).end(String(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    answer(answer) {
      decide = typeof answer === "function" ? answer : () => answer;
    },
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
