import type { ITerminalOptions } from "@xterm/xterm";

/**
 * What both terminals (logs and shell) share: a dark theme whose sixteen ANSI colours all keep a
 * contrast of at least 4.5:1 on its background (xterm's defaults, dark blue or red on dark, do not),
 * and any other colour a program asks for is brightened by xterm to that same ratio.
 */
export const TERMINAL_OPTIONS: ITerminalOptions = {
  fontSize: 12,
  minimumContrastRatio: 4.5,
  theme: {
    background: "#0f172a",
    foreground: "#e2e8f0",
    black: "#94a3b8",
    red: "#f87171",
    green: "#4ade80",
    yellow: "#facc15",
    blue: "#60a5fa",
    magenta: "#e879f9",
    cyan: "#22d3ee",
    white: "#e2e8f0",
    brightBlack: "#cbd5e1",
    brightRed: "#fca5a5",
    brightGreen: "#86efac",
    brightYellow: "#fde047",
    brightBlue: "#93c5fd",
    brightMagenta: "#f0abfc",
    brightCyan: "#67e8f9",
    brightWhite: "#f8fafc",
  },
};
