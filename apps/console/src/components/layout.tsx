import { Link, Outlet } from "@tanstack/react-router";
import { useFlow } from "../flow/connection.tsx";
import { useLiveState } from "../live/master-stream.tsx";
import { useSession } from "../session/context.tsx";
import { Button } from "./ui.tsx";

const NAV = [
  ["/", "Overview"],
  ["/flows", "Flows"],
  ["/routes", "Routes"],
  ["/agents", "Agents"],
  ["/tunnels", "Tunnels"],
  ["/keys", "Keys"],
  ["/activity", "Activity"],
] as const;

export function Layout() {
  const { signOut } = useSession();
  const flow = useFlow();
  const live = useLiveState();
  return (
    <div className="min-h-screen">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:bg-white focus:p-2"
      >
        Skip to content
      </a>
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-4 px-4 py-3">
          <span className="font-semibold">dockflow</span>
          <nav aria-label="Main" className="flex flex-wrap gap-1">
            {NAV.map(([to, label]) => (
              <Link
                key={to}
                to={to}
                activeOptions={{ exact: to === "/" }}
                className="rounded px-2 py-1 text-sm text-slate-700 hover:bg-slate-100"
                activeProps={{
                  className: "bg-slate-200 font-medium text-slate-900",
                  "aria-current": "page",
                }}
              >
                {label}
              </Link>
            ))}
          </nav>
          <div className="ml-auto flex items-center gap-3 text-xs text-slate-700">
            <span>master: {live}</span>
            <span>flow manager: {flow.status.state.replace("_", " ")}</span>
            <Button tone="secondary" onClick={() => void signOut()}>
              Sign out
            </Button>
          </div>
        </div>
      </header>
      <main id="main" className="mx-auto max-w-7xl px-4 py-6">
        <Outlet />
      </main>
    </div>
  );
}
