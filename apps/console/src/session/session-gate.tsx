import { useQuery, useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useCallback, useMemo } from "react";
import { ErrorText } from "../components/ui.tsx";
import { SessionContext } from "./context.tsx";
import { currentSession, type Session, sessionClient } from "./master-session.ts";
import { SignInPage } from "./sign-in-page.tsx";

const ConsoleApp = lazy(() => import("../app.tsx"));

const SESSION_KEY = ["session"] as const;

/** Shows the sign-in page until the master says the browser holds a session, then the console. */
export function SessionGate() {
  const queryClient = useQueryClient();
  const session = useQuery({ queryKey: SESSION_KEY, queryFn: currentSession, staleTime: Infinity });

  const onSignedIn = useCallback(
    (next: Session) => queryClient.setQueryData(SESSION_KEY, next),
    [queryClient],
  );

  if (session.isPending) return <p className="p-8 text-slate-600">Loading…</p>;
  if (session.isError) {
    return (
      <main className="p-8">
        <ErrorText error={session.error} />
      </main>
    );
  }
  if (!session.data) return <SignInPage onSignedIn={onSignedIn} />;
  return <SignedIn session={session.data} />;
}

function SignedIn({ session }: { session: Session }) {
  const queryClient = useQueryClient();
  const master = useMemo(() => sessionClient(session), [session]);
  const signOut = useCallback(async () => {
    try {
      await master.DELETE("/session");
    } finally {
      // Back to the sign-in page, then forget every other answer of this session.
      queryClient.setQueryData(SESSION_KEY, null);
      queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== SESSION_KEY[0] });
    }
  }, [master, queryClient]);
  const value = useMemo(() => ({ session, master, signOut }), [session, master, signOut]);
  return (
    <SessionContext.Provider value={value}>
      <Suspense fallback={<p className="p-8 text-slate-600">Loading…</p>}>
        <ConsoleApp />
      </Suspense>
    </SessionContext.Provider>
  );
}
