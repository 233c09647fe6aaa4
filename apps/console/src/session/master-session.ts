import {
  createMasterClient,
  isMasterApiError,
  type MasterClient,
  type MasterResponse,
} from "@dockflow/sdk";

/** The master's answer to a sign-in: the CSRF token for this session and when it expires. */
export type Session = MasterResponse<"/session", "post">;

/** The master this page was served by (the console always talks to its own origin). */
function anonymousClient(): MasterClient {
  return createMasterClient({ baseUrl: window.location.origin });
}

/** Exchanges the admin token for a session cookie (HttpOnly: the page never sees the cookie). */
export function signIn(token: string): Promise<Session> {
  return anonymousClient().POST("/session", { body: { token } });
}

/** The session of the cookie the browser holds, so a reloaded page recovers; null when none. */
export async function currentSession(): Promise<Session | null> {
  try {
    return await anonymousClient().GET("/session");
  } catch (error) {
    if (isMasterApiError(error) && error.status === 401) return null;
    throw error;
  }
}

/** A master client for this session: the cookie authenticates, the header defends against CSRF. */
export function sessionClient(session: Session): MasterClient {
  return createMasterClient({
    baseUrl: window.location.origin,
    headers: { "X-CSRF-Token": session.csrf_token },
  });
}
