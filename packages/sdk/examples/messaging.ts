import type { FlowClient, MessageReceived } from "../src/index.ts";

export interface ProcessOutcome {
  /** The container's final reply. */
  reply: MessageReceived;
  /** Progress replies (`command: "status"`) that came before it. */
  progress: MessageReceived[];
}

/**
 * The seed's "sending and receiving messages": sends `process` with the input and options, and
 * handles the container's reply by command (`result`, `status`, `error`).
 */
export async function processData(
  flow: FlowClient,
  containerId: string,
  inputData: unknown,
  log: (...args: unknown[]) => void = console.log,
): Promise<ProcessOutcome> {
  const progress: MessageReceived[] = [];
  const reply = await flow.request(
    containerId,
    { command: "process", data: { input: inputData, options: { format: "json", validate: true } } },
    {
      onStatus: (update) => {
        progress.push(update);
        log("Status update:", update.message.data);
      },
    },
  );
  switch (reply.message.command) {
    case "result":
      log("Result received:", reply.message.data);
      break;
    case "error":
      log("Container error:", reply.message.data);
      break;
    default:
      log(`Reply ${reply.message.command}:`, reply.message.data);
  }
  return { reply, progress };
}

/**
 * Messages the code sends without being asked (no `reply_to`) arrive as `message_received` too;
 * this listens for them until the returned function is called.
 */
export function onUnaskedMessages(
  flow: FlowClient,
  handle: (message: MessageReceived) => void,
): () => void {
  return flow.on("message_received", (message) => {
    if (message.message.reply_to === undefined) handle(message);
  });
}
