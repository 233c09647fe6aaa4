import { Terminal } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";
import { useEffect, useRef } from "react";
import { type LogLine, terminalSafe } from "../lib/log-buffer.ts";
import { TERMINAL_OPTIONS } from "./xterm-options.ts";

/**
 * The lines in an xterm.js terminal (loaded with this module only, on the flow detail page). Every
 * line goes through terminalSafe: escape sequences from a container are shown, never obeyed. When
 * the shown lines only grew, just the new ones are written; otherwise the terminal is redrawn.
 */
export default function LogTerminal({ lines, follow }: { lines: LogLine[]; follow: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  const term = useRef<Terminal | null>(null);
  const written = useRef<{ first: number; last: number }>({ first: 0, last: 0 });

  useEffect(() => {
    const terminal = new Terminal({
      convertEol: true,
      disableStdin: true,
      scrollback: 10_000,
      rows: 18,
      ...TERMINAL_OPTIONS,
    });
    terminal.open(box.current!);
    term.current = terminal;
    return () => {
      terminal.dispose();
      term.current = null;
      written.current = { first: 0, last: 0 };
    };
  }, []);

  useEffect(() => {
    const terminal = term.current;
    if (!terminal) return;
    const first = lines[0]?.seq ?? 0;
    const { first: wroteFirst, last: wroteLast } = written.current;
    const appendOnly =
      wroteLast > 0 && first === wroteFirst && lines.some((l) => l.seq === wroteLast);
    if (!appendOnly) terminal.reset();
    const fresh = appendOnly ? lines.filter((l) => l.seq > wroteLast) : lines;
    if (fresh.length > 0) {
      terminal.write(
        fresh
          .map((l) =>
            l.stream === "stderr" ? `\x1b[31m${terminalSafe(l.text)}\x1b[0m` : terminalSafe(l.text),
          )
          .join("\n")
          .concat("\n"),
      );
    }
    written.current = { first, last: lines.at(-1)?.seq ?? 0 };
    if (follow) terminal.scrollToBottom();
  }, [lines, follow]);

  return (
    <div ref={box} role="log" aria-label="Container output" className="overflow-hidden rounded" />
  );
}
