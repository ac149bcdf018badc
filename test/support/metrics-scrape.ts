/** Samples from `/metrics`, keyed as exposed: `name` or `name{label="value",...}`. */
export type Samples = ReadonlyMap<string, number>;

export async function scrapeMetrics(baseUrl: string): Promise<Samples> {
  const res = await fetch(`${baseUrl}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return parseExposition(await res.text());
}

export function parseExposition(text: string): Samples {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/** Polls `/metrics` until `ok` holds (for gauges that change with no event to await). */
export async function waitForMetrics(
  baseUrl: string,
  ok: (s: Samples) => boolean,
  timeoutMs = 5000,
): Promise<Samples> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await scrapeMetrics(baseUrl);
    if (ok(s)) return s;
    if (Date.now() > deadline) throw new Error('timed out waiting for a metrics condition');
    await new Promise((r) => setTimeout(r, 50));
  }
}
