import { z } from "zod";
import { RequestId, StringMap } from "../common.ts";

/** Docker accepts a full or short id, or a container name. */
export const ContainerRef = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, "container_id must be a container id or name");

const ContainerName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, "name may contain letters, digits, '_', '.' and '-'");

const ImageRef = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[a-zA-Z0-9][\w.\-/:@]*$/, "image must be an image reference such as flow:latest");

const AbsolutePath = z
  .string()
  .min(1)
  .max(4096)
  .startsWith("/", "must be an absolute path")
  .refine((p) => !p.includes("\0"), "must not contain NUL");

/** Container path, optionally suffixed `:ro` or `:rw`. */
const MountTarget = AbsolutePath.regex(
  /^\/[^:]*(:(ro|rw))?$/,
  "must be /path, /path:ro or /path:rw",
);

/** A host port: a number, or a string of digits as JSON object keys and Python clients send it. */
const PortNumber = z
  .union([z.number(), z.string().regex(/^\d{1,5}$/, "a port is a number from 1 to 65535")])
  .transform(Number)
  .pipe(z.number().int().min(1).max(65535));

/** `{"8080": 8080}` or `{"8080/udp": "9090"}`: container port (key) to host port (value). */
const PortMap = z.record(
  z.string().regex(/^\d{1,5}(\/(tcp|udp|sctp))?$/, "port keys are '8080' or '8080/udp'"),
  PortNumber,
);

const UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Bytes, or "<n>[b|k|m|g]"; always bytes once parsed. */
export const MemoryLimit = z
  .union([
    z.number().int(),
    z
      .string()
      .regex(/^\d+(\.\d+)?[bkmg]?$/i, 'memory_limit is bytes or a size such as "256m"')
      .transform((s) => {
        const unit = s.slice(-1).toLowerCase();
        const factor = UNITS[unit];
        return Math.round(factor ? Number.parseFloat(s) * factor : Number(s));
      }),
  ])
  .pipe(
    z
      .number()
      .int()
      .min(6 * 1024 * 1024, "memory_limit must be at least 6 MiB")
      .max(2 ** 50),
  );

export const RestartPolicy = z.object({
  name: z.enum(["no", "always", "unless-stopped", "on-failure"]),
  maximum_retry_count: z.number().int().min(0).max(1000).optional(),
});

/** The manager's own crash recovery: restart with exponential backoff, up to a limit. */
export const CrashRecovery = z.object({
  enabled: z.boolean().default(true),
  max_restarts: z.number().int().min(1).max(100).default(5),
  initial_delay_ms: z.number().int().min(0).max(600_000).default(1000),
  max_delay_ms: z.number().int().min(0).max(3_600_000).default(60_000),
});

export const HealthCheck = z.object({
  /** As in Docker: ["CMD", "..."], ["CMD-SHELL", "..."] or ["NONE"]. */
  test: z.array(z.string().max(4096)).min(1).max(64),
  interval_seconds: z.number().positive().max(3600).optional(),
  timeout_seconds: z.number().positive().max(3600).optional(),
  retries: z.number().int().min(0).max(100).optional(),
  start_period_seconds: z.number().min(0).max(3600).optional(),
});

export const CreateContainerRequest = z.strictObject({
  request_id: RequestId.optional(),
  image: ImageRef,
  name: ContainerName.optional(),
  environment: StringMap.optional(),
  /** Host path (under FLOW_ALLOWED_ROOTS) to container path (`:ro` for read-only). */
  volumes: z.record(AbsolutePath, MountTarget).optional(),
  ports: PortMap.optional(),
  command: z.array(z.string().max(4096)).max(256).optional(),
  labels: StringMap.optional(),
  /** Memory limit: bytes, or a string such as "256m" / "1g" (minimum 6 MiB, Docker's floor). */
  memory_limit: MemoryLimit.optional(),
  /** CPU limit in cores, e.g. 0.5. */
  cpu_limit: z.number().positive().max(1024).optional(),
  restart_policy: RestartPolicy.optional(),
  crash_recovery: CrashRecovery.optional(),
  healthcheck: HealthCheck.optional(),
});

const ByContainer = { request_id: RequestId.optional(), container_id: ContainerRef };

export const StartContainerRequest = z.strictObject(ByContainer);
export const StopContainerRequest = z.strictObject({
  ...ByContainer,
  /** Seconds to wait after SIGTERM before SIGKILL. */
  timeout: z.number().int().min(0).max(600).optional(),
});
export const RestartContainerRequest = StopContainerRequest;
export const DeleteContainerRequest = z.strictObject({
  ...ByContainer,
  /** Remove even when running (default true). */
  force: z.boolean().optional(),
});
export const UpdateContainerRequest = z.strictObject({
  ...ByContainer,
  /** Host folder (under FLOW_ALLOWED_ROOTS) whose content replaces the flow's code. */
  code_path: AbsolutePath,
});

/** The message a client sends to the code in a container. */
export const FlowMessage = z.object({
  command: z.string().min(1).max(256),
  data: z.unknown().optional(),
});

export const SendMessageRequest = z.strictObject({
  ...ByContainer,
  message: FlowMessage,
  /** How long to wait for the container's reply (default FLOW_MESSAGE_TIMEOUT_MS). */
  timeout_ms: z.number().int().min(1).max(600_000).optional(),
});

export const GetContainerStatusRequest = z.strictObject(ByContainer);
export const ListContainersRequest = z.strictObject({
  request_id: RequestId.optional(),
  /** Include stopped containers (default true). */
  all: z.boolean().optional(),
});

export type CreateContainerRequest = z.infer<typeof CreateContainerRequest>;
export type SendMessageRequest = z.infer<typeof SendMessageRequest>;

/** Recent activity log entries kept by the manager, for clients that connect later. */
export const GetActivityLogRequest = z.strictObject({
  request_id: RequestId.optional(),
  container_id: ContainerRef.optional(),
  limit: z.number().int().min(1).max(1000).optional(),
});
