/**
 * Flow manager load benchmark (run by hand, loopback only): N concurrent Socket.IO clients send
 * `echo` messages to C flow containers for a fixed time; every reply is matched to its request.
 * Prints lost / duplicated / wrong replies, errors, throughput and latency percentiles as JSON.
 *
 *   pnpm --filter @dockflow/reliability exec node --import tsx ../../bench/flow-load.ts \
 *     --clients 200 --containers 20 --seconds 30 --window 1
 *
 * Starts its own flow manager in this process (on 127.0.0.1, a fresh manager id) against
 * DOCKER_HOST or the default socket, creates the containers with the dockflow.test label, and
 * removes them at the end. --url/--token target an already running manager instead (its
 * containers are then created through it and deleted afterwards).
 */
import { parseArgs } from "node:util";
import {
  FLOW_IMAGE,
  FlowClient,
  type InProcessManager,
  removeTestObjects,
  startInProcess,
} from "../packages/reliability/src/flow-harness.ts";
import { runLoad, startFlows } from "../packages/reliability/src/flow-load.ts";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "200" },
    containers: { type: "string", default: "20" },
    seconds: { type: "string", default: "30" },
    window: { type: "string", default: "1" },
    url: { type: "string" },
    token: { type: "string" },
    image: { type: "string", default: FLOW_IMAGE },
  },
});

const clients = Number(values.clients);
const containerCount = Number(values.containers);
const seconds = Number(values.seconds);
const window = Number(values.window);
if (!(clients > 0 && containerCount > 0 && seconds > 0 && window > 0) || seconds > 600) {
  console.error("flow-load: --clients, --containers, --window > 0 and 0 < --seconds <= 600");
  process.exit(2);
}

const fm: InProcessManager | undefined = values.url
  ? undefined
  : await startInProcess("bench", { LOG_LEVEL: "warn" });
const url = values.url ?? fm?.url ?? "";
if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(url)) {
  console.error(`flow-load: loopback only, got ${url}`);
  process.exit(2);
}
const auth = values.token ? { token: values.token } : undefined;
const admin = await FlowClient.connect(url, auth);
let ids: string[] = [];
try {
  console.error(`flow-load: starting ${containerCount} containers (${values.image})`);
  ids = await startFlows(admin, containerCount, values.image);
  console.error(`flow-load: ${clients} clients, ${seconds} s, ${window} in flight per client`);
  const result = await runLoad({
    url,
    ...(values.token ? { token: values.token } : {}),
    clients,
    containers: ids,
    durationMs: seconds * 1000,
    window,
  });
  console.log(JSON.stringify(result, null, 2));
  process.exitCode = result.lost + result.duplicated + result.wrongData === 0 ? 0 : 1;
} finally {
  for (const id of ids) await admin.call("delete_container", { container_id: id });
  admin.close();
  await fm?.close();
  if (fm) await removeTestObjects();
}
process.exit();
