/** Which badge tone a state gets (the state's word is always shown too). */
export type Tone = "good" | "warn" | "bad" | "neutral";

export function statusTone(status: string): Tone {
  if (status === "running") return "good";
  if (status === "restarting" || status === "paused" || status === "created") return "warn";
  if (status === "dead") return "bad";
  return "neutral";
}

export function healthTone(health: string): Tone {
  if (health === "healthy") return "good";
  if (health === "starting") return "warn";
  if (health === "unhealthy") return "bad";
  return "neutral";
}
