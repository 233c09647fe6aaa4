import { describe, expect, it } from "vitest";
import { agentAccessProblem, clientAddress } from "./guards.ts";

describe("clientAddress", () => {
  it("takes the first forwarded address only behind a trusted proxy", () => {
    expect(clientAddress(" 203.0.113.7 , 10.0.0.1", "127.0.0.1", true)).toBe("203.0.113.7");
    expect(clientAddress("203.0.113.7", "127.0.0.1", false)).toBe("127.0.0.1");
    expect(clientAddress(undefined, "127.0.0.1", true)).toBe("127.0.0.1");
    expect(clientAddress(" ,10.0.0.1", "127.0.0.1", true)).toBe("127.0.0.1");
    expect(clientAddress(undefined, undefined, false)).toBe("unknown");
  });
});

describe("agentAccessProblem", () => {
  it("lets a key act only for the agent it is bound to", () => {
    expect(agentAccessProblem("agent-a", "agent-a")).toBeUndefined();
    expect(agentAccessProblem("agent-a", "agent-b")).toBe(
      "an agent may only use its own events and commands",
    );
    expect(agentAccessProblem(null, "agent-a")).toBe(
      "this key is not bound to an agent yet: register first",
    );
  });
});
