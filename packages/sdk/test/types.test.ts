import type {
  ApiError as ProtocolApiError,
  ErrorBody as ProtocolErrorBody,
  ReplyOf,
  RequestOf,
  ServerPayloadOf,
} from "@dockflow/protocol";
import { describe, expectTypeOf, it } from "vitest";
import type {
  ErrorBody,
  FlowAcks,
  FlowClient,
  FlowReplies,
  FlowRequests,
  FlowServerEvents,
  MasterApiError,
  MasterClient,
  MasterErrorBody,
  MasterResponse,
} from "../src/index.ts";

/**
 * The SDK's types are generated from the AsyncAPI document, not imported from the protocol; these
 * checks (run by `tsc --noEmit -p packages/sdk`) fail when generation loses or bends anything.
 */
type Requests = { [E in keyof FlowRequests]: RequestOf<E> };
type Replies = { [E in keyof FlowReplies]: ReplyOf<E> };
type ServerEvents = { [E in keyof FlowServerEvents]: ServerPayloadOf<E> };

describe("generated flow types", () => {
  it("equal the protocol's request (input), reply and event (output) types", () => {
    expectTypeOf<FlowRequests>().toEqualTypeOf<Requests>();
    expectTypeOf<FlowReplies>().toEqualTypeOf<Replies>();
    expectTypeOf<FlowServerEvents>().toEqualTypeOf<ServerEvents>();
    expectTypeOf<ErrorBody>().toEqualTypeOf<ProtocolErrorBody>();
    expectTypeOf<FlowAcks["create_container"]>().toEqualTypeOf<
      { ok: true; data: ReplyOf<"create_container"> } | { ok: false; error: ProtocolErrorBody }
    >();
  });

  it("give every client method the request's payload and the reply's type", () => {
    expectTypeOf<FlowClient["deleteContainer"]>()
      .parameter(0)
      .toEqualTypeOf<RequestOf<"delete_container">>();
    expectTypeOf<FlowClient["createContainer"]>().returns.resolves.toEqualTypeOf<
      ReplyOf<"create_container">
    >();
    expectTypeOf<FlowClient["listContainers"]>()
      .parameter(0)
      .toEqualTypeOf<RequestOf<"list_containers"> | undefined>();
    const listen = (flow: FlowClient) =>
      flow.on("container_crashed", (crash) => {
        expectTypeOf(crash).toEqualTypeOf<ServerPayloadOf<"container_crashed">>();
      });
    expectTypeOf(listen).returns.toEqualTypeOf<() => void>();
  });
});

describe("generated master types", () => {
  it("type every route's parameters, body and success response", () => {
    const calls = async (master: MasterClient) => {
      const agent = await master.GET("/agents/{id}", { params: { path: { id: "a" } } });
      expectTypeOf(agent.agent_id).toEqualTypeOf<string>();
      expectTypeOf(agent.status).toEqualTypeOf<"online" | "offline">();
      // @ts-expect-error: the path parameter is required
      await master.GET("/agents/{id}");
      // @ts-expect-error: not a route
      await master.GET("/nowhere");
      await master.POST("/agents/register", {
        // @ts-expect-error: mode must be standalone or swarm
        body: { display_name: "x", version: "1", mode: "x" },
      });
      expectTypeOf(
        await master.DELETE("/agents/{id}", { params: { path: { id: "a" } } }),
      ).toEqualTypeOf<undefined>();
    };
    expectTypeOf(calls).toBeFunction();
    expectTypeOf<MasterResponse<"/keys", "post">>().toHaveProperty("key").toEqualTypeOf<string>();
  });

  it("type the error body as the protocol's ApiError", () => {
    expectTypeOf<MasterErrorBody>().toEqualTypeOf<ProtocolApiError>();
    expectTypeOf<MasterApiError["error"]>().toEqualTypeOf<ProtocolApiError["error"]>();
  });
});
