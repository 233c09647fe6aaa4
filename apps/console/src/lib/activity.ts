/** One line of an activity entry's payload: `key=value` pairs, long values cut, at most `max` chars. */
export function summarizePayload(payload: Record<string, unknown>, max = 240): string {
  const text = Object.entries(payload)
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A React key for a flow manager activity entry (they carry no id): what, where and when. */
export function activityKey(entry: {
  timestamp: string;
  activity_type: string;
  container_id: string | null;
  message: string;
}): string {
  return `${entry.timestamp}|${entry.activity_type}|${entry.container_id ?? ""}|${entry.message}`;
}
