import {
  createRootRoute,
  createRoute,
  createRouter,
  lazyRouteComponent,
  RouterProvider,
} from "@tanstack/react-router";
import { z } from "zod";
import { Layout } from "./components/layout.tsx";
import { FlowProvider } from "./flow/connection.tsx";
import { MasterStream } from "./live/master-stream.tsx";

/**
 * The console's pages. Page state (filters, searches) lives in the URL's search parameters,
 * parsed with zod, so a view can be bookmarked and shared; each page is its own lazy chunk.
 */
const root = createRootRoute({ component: Layout });

const overview = createRoute({
  getParentRoute: () => root,
  path: "/",
  component: lazyRouteComponent(() => import("./pages/overview.tsx"), "OverviewPage"),
});

const flows = createRoute({
  getParentRoute: () => root,
  path: "/flows",
  validateSearch: z.object({
    q: z.string().optional().catch(undefined),
    page: z.coerce.number().int().min(1).optional().catch(undefined),
  }).parse,
  component: lazyRouteComponent(() => import("./pages/flows.tsx"), "FlowsPage"),
});

export const flowDetailRoute = createRoute({
  getParentRoute: () => root,
  path: "/flows/$containerId",
  component: lazyRouteComponent(() => import("./pages/flow-detail.tsx"), "FlowDetailPage"),
});

export const routesRoute = createRoute({
  getParentRoute: () => root,
  path: "/routes",
  validateSearch: z.object({
    q: z.string().optional().catch(undefined),
    state: z.enum(["active", "grace"]).optional().catch(undefined),
    agent_id: z.string().optional().catch(undefined),
  }).parse,
  component: lazyRouteComponent(() => import("./pages/routes.tsx"), "RoutesPage"),
});

const agents = createRoute({
  getParentRoute: () => root,
  path: "/agents",
  component: lazyRouteComponent(() => import("./pages/agents.tsx"), "AgentsPage"),
});

export const agentDetailRoute = createRoute({
  getParentRoute: () => root,
  path: "/agents/$agentId",
  component: lazyRouteComponent(() => import("./pages/agent-detail.tsx"), "AgentDetailPage"),
});

const tunnels = createRoute({
  getParentRoute: () => root,
  path: "/tunnels",
  component: lazyRouteComponent(() => import("./pages/tunnels.tsx"), "TunnelsPage"),
});

const keys = createRoute({
  getParentRoute: () => root,
  path: "/keys",
  component: lazyRouteComponent(() => import("./pages/keys.tsx"), "KeysPage"),
});

export const activityRoute = createRoute({
  getParentRoute: () => root,
  path: "/activity",
  validateSearch: z.object({
    q: z.string().optional().catch(undefined),
    type: z.string().optional().catch(undefined),
    agent_id: z.string().optional().catch(undefined),
  }).parse,
  component: lazyRouteComponent(() => import("./pages/activity.tsx"), "ActivityPage"),
});

const router = createRouter({
  routeTree: root.addChildren([
    overview,
    flows,
    flowDetailRoute,
    routesRoute,
    agents,
    agentDetailRoute,
    tunnels,
    keys,
    activityRoute,
  ]),
  defaultPreload: "intent",
});

declare module "@tanstack/react-router" {
  interface Register {
    router: typeof router;
  }
}

/** The signed-in console: the live connections, then the pages. */
export default function ConsoleApp() {
  return (
    <FlowProvider>
      <MasterStream />
      <RouterProvider router={router} />
    </FlowProvider>
  );
}
