import { realpath, stat } from "node:fs/promises";
import { isAbsolute, relative, sep } from "node:path";
import { FlowError } from "./errors.ts";

/** Checks host paths against FLOW_ALLOWED_ROOTS after resolving `..` and symlinks. */
export class PathGuard {
  constructor(private readonly options: { roots: string[] }) {}

  /**
   * Resolves `path` (which must exist) and returns its real path when it lies under a real allowed
   * root; anything else is a validation_error naming the field.
   */
  async check(path: string, field: string, kind: "directory" | "any" = "any"): Promise<string> {
    if (!isAbsolute(path)) throw invalid(field, `${field} must be an absolute path`);
    let real: string;
    try {
      real = await realpath(path);
    } catch {
      throw invalid(field, `${field} "${path}" does not exist on the host`);
    }
    const inside = await this.underRoot(real);
    if (!inside) {
      throw invalid(field, `${field} "${path}" is outside the allowed roots (FLOW_ALLOWED_ROOTS)`);
    }
    if (kind === "directory" && !(await stat(real)).isDirectory()) {
      throw invalid(field, `${field} "${path}" is not a directory`);
    }
    return real;
  }

  private async underRoot(real: string): Promise<boolean> {
    for (const root of this.options.roots) {
      let realRoot: string;
      try {
        realRoot = await realpath(root);
      } catch {
        continue; // a root that does not exist allows nothing
      }
      const rel = relative(realRoot, real);
      if (rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel))) {
        return true;
      }
    }
    return false;
  }
}

function invalid(field: string, message: string): FlowError {
  return new FlowError("validation_error", message, { issues: [{ path: field, message }] });
}
