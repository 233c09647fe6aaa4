import { type ActivityEntry, StreamChange } from "@dockflow/protocol";
import { MASTER_API_PREFIX } from "@dockflow/sdk";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useSyncExternalStore } from "react";
import {
  addActivity,
  addRecentError,
  masterKeys,
  type RecentError,
  staleKeys,
} from "./stream-changes.ts";

export type LiveState = "connecting" | "live" | "reconnecting";

/** The stream's connection state, for the header (an external store: no provider needed). */
let live: LiveState = "connecting";
const listeners = new Set<() => void>();
function setLive(next: LiveState) {
  live = next;
  for (const listener of listeners) listener();
}

export function useLiveState(): LiveState {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => live,
  );
}

/** Live changes pushed to the overview's feeds (they have no list endpoint of their own). */
export const liveKeys = {
  activity: ["live", "activity"] as const,
  errors: ["live", "errors"] as const,
};

/**
 * Follows the master's change stream (`GET /api/v2/stream`, Server-Sent Events, authenticated by
 * the session cookie). EventSource reconnects by itself and sends `Last-Event-ID`, so no change is
 * lost; a `reset` (the id is too old) refetches everything.
 */
export function MasterStream() {
  const queryClient = useQueryClient();
  useEffect(() => {
    const source = new EventSource(`${MASTER_API_PREFIX}/stream`);
    source.onopen = () => setLive("live");
    source.onerror = () => {
      setLive(source.readyState === EventSource.CLOSED ? "connecting" : "reconnecting");
      // A refused stream (the session expired or was revoked): let the gate ask the master.
      if (source.readyState === EventSource.CLOSED) {
        void queryClient.invalidateQueries({ queryKey: ["session"] });
      }
    };
    source.addEventListener("change", (event) => {
      const parsed = StreamChange.safeParse(parseJson((event as MessageEvent<string>).data));
      if (!parsed.success) return;
      const change = parsed.data;
      for (const queryKey of staleKeys(change)) {
        void queryClient.invalidateQueries({ queryKey }, { cancelRefetch: false });
      }
      queryClient.setQueryData<ActivityEntry[]>(liveKeys.activity, (entries) =>
        addActivity(entries ?? [], change),
      );
      queryClient.setQueryData<RecentError[]>(liveKeys.errors, (errors) =>
        addRecentError(errors ?? [], change),
      );
    });
    source.addEventListener("reset", () => {
      void queryClient.invalidateQueries({ queryKey: masterKeys.all });
    });
    return () => {
      source.close();
      setLive("connecting");
    };
  }, [queryClient]);
  return null;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
