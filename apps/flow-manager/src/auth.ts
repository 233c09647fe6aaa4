import { createHash, timingSafeEqual } from "node:crypto";

type Next = (err?: Error) => void;

/** Socket.IO middleware: with a token configured, the handshake must carry it as `auth.token`. */
export function tokenAuth(token: string | undefined) {
  const expected = token ? digest(token) : null;
  return (socket: { handshake: { auth?: Record<string, unknown> } }, next: Next): void => {
    next(expected ? refusal(socket.handshake.auth?.token, expected) : undefined);
  };
}

/** Why the presented token is refused, or undefined when it matches. Never echoes the token. */
function refusal(presented: unknown, expected: Buffer): Error | undefined {
  if (typeof presented !== "string" || presented === "") {
    return new Error("unauthorized: this flow manager requires a token (handshake auth.token)");
  }
  // Hashing first gives equal lengths, so the comparison takes the same time for any input.
  if (!timingSafeEqual(digest(presented), expected)) {
    return new Error("unauthorized: the token presented in auth.token is not valid");
  }
  return undefined;
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}
