/** A token pair as token mode keeps it. */
export interface StoredTokens {
  access_token: string;
  refresh_token: string;
  /** When the access token expires (ms since the epoch), as the service said. */
  expires_at: number;
}

/**
 * Where token mode keeps its pair: the in-memory default (per page, gone on
 * reload: what a script injected into the page can least easily take), or
 * `localStorage` (shared, and so one refresh, across tabs; kept after the
 * browser closes, and readable by any script on the origin: prefer cookie
 * mode behind a same-origin proxy). Not `sessionStorage`: a duplicated tab
 * gets a copy of the pair, and its refresh of the already rotated token
 * reads as a stolen token and ends the session. Cookie mode keeps no token
 * at all: the browser holds them in HttpOnly cookies.
 */
export type TokenStorage = Pick<Storage, "getItem" | "setItem" | "removeItem">;

/** A storage in memory (the default in token mode). */
export function memoryStorage(): TokenStorage {
  const items = new Map<string, string>();
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
  };
}

export function readTokens(storage: TokenStorage, key: string): StoredTokens | null {
  const text = storage.getItem(key);
  if (!text) return null;
  try {
    const value = JSON.parse(text) as Partial<StoredTokens>;
    if (typeof value.access_token === "string" && typeof value.refresh_token === "string") {
      return {
        access_token: value.access_token,
        refresh_token: value.refresh_token,
        expires_at: typeof value.expires_at === "number" ? value.expires_at : 0,
      };
    }
  } catch {
    // Not ours, or damaged: as if signed out.
  }
  return null;
}
