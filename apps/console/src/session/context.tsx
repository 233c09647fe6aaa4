import type { MasterClient } from "@dockflow/sdk";
import { createContext, useContext } from "react";
import type { Session } from "./master-session.ts";

export interface ConsoleSession {
  session: Session;
  master: MasterClient;
  signOut(): Promise<void>;
}

export const SessionContext = createContext<ConsoleSession | null>(null);

/** The signed-in session; only rendered below the session gate, so it is always there. */
export function useSession(): ConsoleSession {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession outside the signed-in console");
  return value;
}

/** The master client of the signed-in session. */
export function useMaster(): MasterClient {
  return useSession().master;
}
