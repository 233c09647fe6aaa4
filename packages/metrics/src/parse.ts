/** One sample of a Prometheus text exposition. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the samples of a text exposition (comments skipped); throws on a malformed line. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`malformed exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key = "", raw = ""] of (match[2] ?? "").matchAll(LABEL)) {
      labels[key] = raw.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
    samples.push({ name: match[1] ?? "", labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample named `name` whose labels include `labels`, or undefined. */
export function sampleValue(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches several`);
  return found[0]?.value;
}

/** Scrapes a `/metrics` URL with a bearer token (tests); a status other than 200 throws. */
export function scraper(url: () => string | undefined, token: string) {
  const scrape = async (): Promise<Sample[]> => {
    const target = url();
    if (!target) throw new Error("no metrics listener");
    const response = await fetch(target, { headers: { authorization: `Bearer ${token}` } });
    if (response.status !== 200) throw new Error(`scrape answered ${response.status}`);
    return parseExposition(await response.text());
  };
  const value = async (name: string, labels: Record<string, string> = {}) =>
    sampleValue(await scrape(), name, labels);
  return { scrape, value };
}
