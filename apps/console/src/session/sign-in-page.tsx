import { isMasterApiError } from "@dockflow/sdk";
import { type FormEvent, useState } from "react";
import { Button, Field, TextInput } from "../components/ui.tsx";
import { type Session, signIn } from "./master-session.ts";

/** The admin token goes to the master once, in a POST body; the page keeps only the session. */
export function SignInPage({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await signIn(token);
      setToken("");
      onSignedIn(session);
    } catch (caught) {
      setError(
        isMasterApiError(caught) && caught.status === 401
          ? "The master refused this token."
          : `Sign-in failed: ${(caught as Error).message}`,
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="mx-auto mt-24 max-w-sm rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
      <h1 className="mb-1 text-xl font-semibold">dockflow console</h1>
      <p className="mb-4 text-sm text-slate-600">Sign in with the master's admin token.</p>
      <form onSubmit={submit} className="space-y-4">
        <Field label="Admin token" id="admin-token" error={error ?? undefined}>
          <TextInput
            id="admin-token"
            type="password"
            autoComplete="off"
            required
            value={token}
            onChange={(event) => setToken(event.target.value)}
          />
        </Field>
        <Button type="submit" disabled={busy || token === ""}>
          {busy ? "Signing in…" : "Sign in"}
        </Button>
      </form>
    </main>
  );
}
