/**
 * Polls a condition that has no event to await (e.g. a server-side counter after a client hung
 * up), with a deadline. Prefer awaiting an event wherever there is one.
 */
export async function until(what: string, ok: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
