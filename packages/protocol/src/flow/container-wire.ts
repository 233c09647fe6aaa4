import { z } from "zod";

/**
 * The container protocol: newline-delimited JSON over the Unix socket the flow runtime listens on
 * (`<socket folder>/flow.sock`, bind-mounted into the container). One JSON object per line, UTF-8.
 */

/** Manager to container: a request the code must answer with `reply_to: id`. */
export const HostEnvelope = z.object({
  id: z.string().min(1).max(128),
  command: z.string().min(1).max(256),
  data: z.unknown().optional(),
});
export type HostEnvelope = z.infer<typeof HostEnvelope>;

/**
 * Container to manager: a reply (`reply_to` = the request's id) or an unasked message.
 * Conventional commands: `result` (success), `error` (data: {message}), `status` (progress).
 */
export const ContainerEnvelope = z.object({
  reply_to: z.string().min(1).max(128).optional(),
  command: z.string().min(1).max(256),
  data: z.unknown().optional(),
});
export type ContainerEnvelope = z.infer<typeof ContainerEnvelope>;

/** Lines longer than this are a protocol violation and are dropped by the reader. */
export const MAX_ENVELOPE_BYTES = 16 * 1024 * 1024;

/** The socket file name inside the per-container folder, and where the folder is mounted. */
export const FLOW_SOCKET_NAME = "flow.sock";
export const FLOW_SOCKET_DIR_IN_CONTAINER = "/run/flow";
/** Where the user's code lives inside the container (replaced by `update_container`). */
export const FLOW_CODE_DIR_IN_CONTAINER = "/app/flow";
