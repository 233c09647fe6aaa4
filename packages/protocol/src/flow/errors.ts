import { z } from "zod";
import { RequestId } from "../common.ts";
import { ExecOperation } from "./exec.ts";
import { LOG_OPERATIONS } from "./logs.ts";

/** The seed's eight error types, and no others. */
export const ErrorType = z.enum([
  "image_not_found",
  "container_not_found",
  "docker_api_error",
  "socket_error",
  "socket_timeout_error",
  "socket_connection_error",
  "validation_error",
  "system_error",
]);
export type ErrorType = z.infer<typeof ErrorType>;

/** Names of the client-to-server events; `details.operation` names the one that failed. */
export const Operation = z.enum([
  "create_container",
  "start_container",
  "stop_container",
  "restart_container",
  "update_container",
  "delete_container",
  "send_message",
  "get_container_status",
  "list_containers",
  "get_activity_log",
  ...LOG_OPERATIONS,
  ...ExecOperation.options,
]);
export type Operation = z.infer<typeof Operation>;

/** One problem found by validation: where (a dotted path) and what. */
export const ValidationIssue = z.object({ path: z.string(), message: z.string() });

export const ErrorDetails = z
  .object({
    operation: Operation.optional(),
    request_id: RequestId.optional(),
    container_id: z.string().optional(),
    issues: z.array(ValidationIssue).optional(),
  })
  .catchall(z.unknown());

/** The `error` event body: `{error_type, message, details}`. */
export const ErrorBody = z.object({
  error_type: ErrorType,
  message: z.string(),
  details: ErrorDetails,
});
export type ErrorBody = z.infer<typeof ErrorBody>;
