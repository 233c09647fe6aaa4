import { CreateContainerRequest, issuesOf } from "@dockflow/protocol";
import type { z } from "zod";

/** The create form's fields as the operator typed them. */
export interface CreateFormValues {
  image: string;
  name: string;
  /** One `KEY=value` per line. */
  environment: string;
  /** One `/host/path:/container/path[:ro]` per line. */
  volumes: string;
  /** One `hostPort:containerPort[/udp]` per line (as `docker run -p`). */
  ports: string;
  /** Bytes or a size such as `256m`. */
  memory_limit: string;
  /** Cores, e.g. `0.5`. */
  cpu_limit: string;
  restart_policy: "" | "no" | "always" | "unless-stopped" | "on-failure";
  /** A shell command run as the health check (`CMD-SHELL`). */
  healthcheck: string;
  healthcheck_interval: string;
}

export const emptyCreateForm: CreateFormValues = {
  image: "flow:latest",
  name: "",
  environment: "",
  volumes: "",
  ports: "",
  memory_limit: "",
  cpu_limit: "",
  restart_policy: "",
  healthcheck: "",
  healthcheck_interval: "",
};

/** Field name → messages; `form` holds problems that belong to no single field. */
export type FormErrors = Partial<Record<keyof CreateFormValues | "form", string[]>>;

export type CreateRequest = z.input<typeof CreateContainerRequest>;

/**
 * Turns the form into a `create_container` request, validated with the protocol's own schema so
 * the operator sees the messages the flow manager would send. Line formats the schema cannot know
 * (`KEY=value`, `host:container`) are checked here first.
 */
export function buildCreateRequest(
  values: CreateFormValues,
): { ok: true; request: CreateRequest } | { ok: false; errors: FormErrors } {
  const errors: FormErrors = {};
  const add = (field: keyof FormErrors, message: string) => {
    errors[field] = [...(errors[field] ?? []), message];
  };

  const environment = lines(values.environment, (line) => {
    const at = line.indexOf("=");
    return at > 0 ? [line.slice(0, at), line.slice(at + 1)] : undefined;
  });
  if (environment.bad) add("environment", `line ${environment.bad}: write KEY=value`);

  const volumes = lines(values.volumes, (line) => {
    const at = line.indexOf(":");
    return at > 0 ? [line.slice(0, at), line.slice(at + 1)] : undefined;
  });
  if (volumes.bad) add("volumes", `line ${volumes.bad}: write /host/path:/container/path[:ro]`);

  const ports = lines(values.ports, (line) => {
    const match = /^(\d+):(\d+(?:\/(?:tcp|udp|sctp))?)$/.exec(line);
    return match ? [match[2]!, match[1]!] : undefined;
  });
  if (ports.bad) add("ports", `line ${ports.bad}: write hostPort:containerPort[/udp]`);

  const request: Record<string, unknown> = { image: values.image.trim() };
  if (values.name.trim()) request.name = values.name.trim();
  if (environment.entries.length) request.environment = Object.fromEntries(environment.entries);
  if (volumes.entries.length) request.volumes = Object.fromEntries(volumes.entries);
  if (ports.entries.length) request.ports = Object.fromEntries(ports.entries);
  const memory = values.memory_limit.trim();
  if (memory) request.memory_limit = /^\d+$/.test(memory) ? Number(memory) : memory;
  const cpu = values.cpu_limit.trim();
  if (cpu) request.cpu_limit = Number(cpu);
  if (values.restart_policy) request.restart_policy = { name: values.restart_policy };
  const check = values.healthcheck.trim();
  if (check) {
    request.healthcheck = {
      test: ["CMD-SHELL", check],
      ...(values.healthcheck_interval.trim() && {
        interval_seconds: Number(values.healthcheck_interval),
      }),
    };
  }

  const parsed = CreateContainerRequest.safeParse(request);
  if (!parsed.success) {
    for (const issue of issuesOf(parsed.error)) add(fieldOf(issue.path), messageOf(issue));
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, request: request as CreateRequest };
}

/** Which form field a schema path (`healthcheck.interval_seconds`, `ports.80`) belongs to. */
function fieldOf(path: string): keyof FormErrors {
  const head = path.split(".")[0]!;
  if (head === "restart_policy") return "restart_policy";
  if (head === "healthcheck") {
    return path.startsWith("healthcheck.interval") ? "healthcheck_interval" : "healthcheck";
  }
  return head in emptyCreateForm ? (head as keyof CreateFormValues) : "form";
}

/** The server's wording: `path: message`, as the flow manager's validation_error lists it. */
function messageOf(issue: { path: string; message: string }): string {
  return `${issue.path}: ${issue.message}`;
}

function lines(
  text: string,
  parse: (line: string) => [string, string] | undefined,
): { entries: [string, string][]; bad: number | undefined } {
  const entries: [string, string][] = [];
  let bad: number | undefined;
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (!line) return;
    const entry = parse(line);
    if (entry) entries.push(entry);
    else bad ??= index + 1;
  });
  return { entries, bad };
}
