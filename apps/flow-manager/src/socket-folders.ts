import { randomBytes } from "node:crypto";
import { chmod, mkdir, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";

export interface SocketFoldersOptions {
  /** FLOW_SOCKET_ROOT: one folder per container below it. */
  root: string;
}

/** The host folders that carry each container's flow socket (mounted at /run/flow). */
export class SocketFolders {
  constructor(private readonly options: SocketFoldersOptions) {}

  /** A new, empty folder for one container. */
  async create(): Promise<string> {
    const dir = join(this.options.root, randomBytes(6).toString("hex"));
    // The root is private to the host's root user; the folder itself is writable by whatever user
    // the flow runs as inside the container (it only ever sees /run/flow).
    await mkdir(this.options.root, { recursive: true, mode: 0o700 });
    await mkdir(dir, { mode: 0o777 });
    await chmod(dir, 0o777);
    return dir;
  }

  /** Removes a container's folder, only if it is a direct child of the root (labels can lie). */
  async remove(dir: string | null): Promise<void> {
    if (!dir) return;
    const abs = resolve(dir);
    if (dirname(abs) !== resolve(this.options.root)) return;
    await rm(abs, { recursive: true, force: true });
  }
}
