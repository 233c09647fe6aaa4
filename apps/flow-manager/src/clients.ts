import type { ServerEventName, ServerPayloadOf } from "@dockflow/protocol";

/** What the registry needs from a Socket.IO socket. */
export interface ClientSocket {
  id: string;
  emit(event: string, payload: unknown): unknown;
  /**
   * Engine.IO's connection: its transport is writable once it has sent all it was given, and it
   * emits "drain" once its outgoing buffer went to the transport.
   */
  conn?: { transport: { writable: boolean }; once(event: "drain", listener: () => void): unknown };
}

interface Client {
  socket: ClientSocket;
  /** Containers this client named in a request: its periodic status update covers them. */
  interests: Set<string>;
}

/**
 * Connected clients, and which containers each cares about. Owners (clients that created or
 * messaged a container) receive that container's unasked messages.
 */
export class ClientRegistry {
  private readonly clients = new Map<string, Client>();
  private readonly owners = new Map<string, Set<string>>();
  private readonly removeListeners: ((clientId: string) => void)[] = [];

  add(socket: ClientSocket): void {
    this.clients.set(socket.id, { socket, interests: new Set() });
  }

  remove(clientId: string): void {
    this.clients.delete(clientId);
    for (const set of this.owners.values()) set.delete(clientId);
    for (const listener of this.removeListeners) listener(clientId);
  }

  /** Calls `listener` with the id of each client that goes away. */
  onRemove(listener: (clientId: string) => void): void {
    this.removeListeners.push(listener);
  }

  /**
   * Whether the client's connection has handed everything emitted to it so far to the network
   * (the websocket's last write completed, or a polling request is waiting): a client that reads
   * slowly stays unwritable while the kernel's socket buffers are full.
   */
  isWritable(clientId: string): boolean {
    const conn = this.clients.get(clientId)?.socket.conn;
    if (!conn) return this.clients.has(clientId);
    // Engine.IO flushes its buffer the moment the transport turns writable, so this also means
    // nothing is waiting in its buffer.
    return conn.transport.writable;
  }

  has(clientId: string): boolean {
    return this.clients.has(clientId);
  }

  /**
   * How many packets wait in a client's outgoing buffer because its connection cannot take them yet
   * (a slow client). Engine.IO keeps that buffer in a field its typings do not show.
   */
  backlogOf(clientId: string): number {
    const conn = this.clients.get(clientId)?.socket.conn as { writeBuffer?: unknown } | undefined;
    return Array.isArray(conn?.writeBuffer) ? conn.writeBuffer.length : 0;
  }

  /** Calls `fn` once the client's outgoing buffer has been handed on (at once if it is gone). */
  onceDrained(clientId: string, fn: () => void): void {
    const conn = this.clients.get(clientId)?.socket.conn;
    if (conn) conn.once("drain", fn);
    else fn();
  }

  get count(): number {
    return this.clients.size;
  }

  noteInterest(clientId: string, containerId: string): void {
    this.clients.get(clientId)?.interests.add(containerId);
  }

  noteOwner(clientId: string, containerId: string): void {
    if (!this.clients.has(clientId)) return;
    this.noteInterest(clientId, containerId);
    let set = this.owners.get(containerId);
    if (!set) {
      set = new Set();
      this.owners.set(containerId, set);
    }
    set.add(clientId);
  }

  ownersOf(containerId: string): string[] {
    return [...(this.owners.get(containerId) ?? [])];
  }

  forgetContainer(containerId: string): void {
    this.owners.delete(containerId);
    for (const c of this.clients.values()) c.interests.delete(containerId);
  }

  /** Each client with the containers it is interested in. */
  *withInterests(): Generator<[string, Set<string>]> {
    for (const [id, c] of this.clients) if (c.interests.size > 0) yield [id, c.interests];
  }

  emitTo<E extends ServerEventName>(clientId: string, event: E, payload: ServerPayloadOf<E>): void {
    this.clients.get(clientId)?.socket.emit(event, payload);
  }

  broadcast<E extends ServerEventName>(event: E, payload: ServerPayloadOf<E>): void {
    for (const c of this.clients.values()) c.socket.emit(event, payload);
  }

  emitToMany<E extends ServerEventName>(
    ids: "all" | string[],
    event: E,
    payload: ServerPayloadOf<E>,
  ): void {
    if (ids === "all") this.broadcast(event, payload);
    else for (const id of ids) this.emitTo(id, event, payload);
  }
}
