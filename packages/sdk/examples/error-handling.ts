import {
  type ContainerStarted,
  type ErrorType,
  type FlowClient,
  FlowConnectionError,
  FlowError,
  FlowTimeoutError,
} from "../src/index.ts";

/** What each error type means and what to do about it (the seed's advice). */
export const ERROR_ADVICE: Record<ErrorType, string> = {
  image_not_found:
    "The specified Docker image was not found. Please check the image name and ensure it exists.",
  container_not_found:
    "The specified container was not found. It may have been deleted or never existed.",
  docker_api_error: "Docker API error occurred. Check Docker daemon status and permissions.",
  socket_error:
    "Socket communication error. The container may be unresponsive or the socket file may be missing.",
  socket_timeout_error:
    "Socket communication error. The container may be unresponsive or the socket file may be missing.",
  socket_connection_error:
    "Socket communication error. The container may be unresponsive or the socket file may be missing.",
  validation_error: "Invalid request data. Please check the request format and required fields.",
  system_error: "System-level error occurred. Check system resources and permissions.",
};

export type Recovery = "recreate" | "reconnect" | "retry" | "none";

/**
 * The seed's `handleError`: explains the error and picks a recovery strategy. Every call of the
 * SDK rejects with one of these classes, so the `switch` is on types rather than event names.
 */
export function handleError(
  error: unknown,
  log: (...args: unknown[]) => void = console.error,
): Recovery {
  if (error instanceof FlowError) {
    log(`Error (${error.error_type}): ${error.message}`);
    log(ERROR_ADVICE[error.error_type] ?? "Unknown error occurred.");
    if (Object.keys(error.details).length > 0) log("Error details:", error.details);
    for (const issue of error.details.issues ?? []) log(`  ${issue.path}: ${issue.message}`);
    if (
      error.error_type === "container_not_found" &&
      error.details.operation === "start_container"
    ) {
      log("Attempting to recreate the missing container...");
      return "recreate";
    }
    if (error.error_type === "socket_connection_error") return "reconnect";
    return "none";
  }
  if (error instanceof FlowTimeoutError) {
    log(`Operation timed out: ${error.message}`);
    return "retry";
  }
  if (error instanceof FlowConnectionError) {
    // socket.io reconnects by itself; a refused connection (wrong token) does not.
    log(`Not connected: ${error.message}`);
    return "reconnect";
  }
  log("Unknown error occurred:", error);
  return "none";
}

/** The seed's `startContainerSafely`: the reply, or null after the error has been handled. */
export async function startContainerSafely(
  flow: FlowClient,
  containerId: string,
  log: (...args: unknown[]) => void = console.log,
): Promise<ContainerStarted | null> {
  try {
    const result = await flow.startContainer({ container_id: containerId });
    log("Container started successfully:", result);
    return result;
  } catch (error) {
    handleError(error, log);
    log("Failed to start container:", containerId);
    return null;
  }
}

/** Logs every `error` event the server sends this client (failed requests included). */
export function logServerErrors(
  flow: FlowClient,
  log: (...args: unknown[]) => void = console.error,
): () => void {
  return flow.on("error", (body) => log("Error:", body.error_type, body.message));
}
