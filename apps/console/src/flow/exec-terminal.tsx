import type { FlowClient } from "@dockflow/sdk";
import { FitAddon } from "@xterm/addon-fit";
import { Terminal } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";
import { useEffect, useRef } from "react";
import { type ExecState, execFailure, inputQueue } from "../lib/exec.ts";
import { TERMINAL_OPTIONS } from "./xterm-options.ts";

/** The process the terminal runs: a POSIX shell, present in every flow image. */
const SHELL = ["/bin/sh"];

/**
 * A shell in the container, in an xterm.js terminal (loaded with this module only, when the
 * operator opens the terminal). Keystrokes go to the session in order, the terminal's size follows
 * its box, and leaving (unmounting) closes the session. xterm.js draws the output as text: markup
 * in it is shown, never parsed.
 */
export default function ExecTerminal({
  client,
  containerId,
  onState,
}: {
  client: FlowClient;
  containerId: string;
  onState: (state: ExecState) => void;
}) {
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const terminal = new Terminal({
      rows: 20,
      scrollback: 5_000,
      ...TERMINAL_OPTIONS,
    });
    const fit = new FitAddon();
    terminal.loadAddon(fit);
    terminal.open(box.current!);
    fit.fit();
    let left = false;
    const settle = (state: ExecState) => {
      if (!left) onState(state);
    };
    onState({ kind: "starting" });

    const session = client
      .exec(containerId, { cmd: SHELL, tty: true, cols: terminal.cols, rows: terminal.rows })
      .then((started) => {
        if (left) {
          void started.close().catch(() => undefined);
          return started;
        }
        started.onOutput((output) => terminal.write(output.data));
        started.exitCode.then(
          (exitCode) => {
            settle({ kind: "ended", exitCode });
            terminal.options.disableStdin = true;
          },
          (error: unknown) => settle({ kind: "failed", error }),
        );
        const send = inputQueue({
          write: (data) => started.write(data),
          onError: (error) => settle({ kind: "failed", error }),
        });
        terminal.onData(send);
        // A resize that races the session's end has nothing left to resize.
        terminal.onResize(({ cols, rows }) => {
          started.resize(cols, rows).catch(() => undefined);
        });
        settle({ kind: "running", cmd: SHELL.join(" ") });
        terminal.focus();
        return started;
      });
    session.catch((error: unknown) => settle(execFailure(error)));

    const observer = new ResizeObserver(() => fit.fit());
    observer.observe(box.current!);
    return () => {
      left = true;
      observer.disconnect();
      void session.then((s) => s.close()).catch(() => undefined);
      terminal.dispose();
    };
  }, [client, containerId, onState]);

  return (
    <div
      ref={box}
      data-testid="exec-terminal"
      className="h-80 overflow-hidden rounded bg-slate-900 p-1"
    />
  );
}
