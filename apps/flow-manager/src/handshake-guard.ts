import type { Logger } from "pino";
import type { ServerOptions } from "socket.io";
import { isAllowedOrigin, judgeHandshake, type OriginPolicy } from "./origin-guard.ts";

/**
 * Socket.IO options applying the origin policy: `allowRequest` sees the first request of every
 * connection on both transports (the polling handshake and a direct websocket upgrade) and refuses
 * with the reason as the answer's message; `cors` lets the allowed origins' pages read the polling
 * answers (browsers need Access-Control-Allow-Origin there, not on websockets).
 */
export function handshakeGuard(
  policy: OriginPolicy,
  log: Logger,
): Pick<ServerOptions, "allowRequest" | "cors"> {
  return {
    allowRequest(req, callback) {
      const decision = judgeHandshake(
        { origin: req.headers.origin, host: req.headers.host },
        policy,
      );
      if (decision.ok) {
        callback(null, true);
        return;
      }
      log.warn({ address: req.socket.remoteAddress, reason: decision.reason }, "handshake refused");
      callback(decision.reason, false);
    },
    cors: {
      origin: (origin, callback) => {
        callback(null, origin !== undefined && isAllowedOrigin(origin, policy));
      },
    },
  };
}
