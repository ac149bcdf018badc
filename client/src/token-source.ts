import type { TokenSource } from './connection.js';

/** The token to connect with: the fixed one first, then whatever `getToken` returns. */
export function tokenSource(
  token?: string,
  getToken?: () => string | Promise<string>,
): TokenSource {
  let current: Promise<string> | null = token ? Promise.resolve(token) : null;
  const fetchFresh = (): Promise<string> => {
    const p = Promise.resolve().then(() => getToken!());
    // A failed fetch is not kept: the next attempt asks again.
    p.catch(() => {
      if (current === p) current = null;
    });
    return (current = p);
  };
  return {
    current: () => current ?? fetchFresh(),
    refresh: async () => (getToken ? fetchFresh() : null),
    renewable: getToken !== undefined,
  };
}
