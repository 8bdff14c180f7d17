/**
 * The API key the IDE sends: kept for this browser tab only (sessionStorage, gone when the tab
 * closes), sent as `Authorization: Bearer <key>` over HTTP and as the `authorization` connection
 * parameter over graphql-ws.
 */
const STORAGE_KEY = 'kybernet.apiKey';

export function readKey(): string {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? '';
  } catch {
    return '';
  }
}

export function storeKey(key: string): void {
  try {
    if (key) sessionStorage.setItem(STORAGE_KEY, key);
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage refused (private mode): the key still works until the page is reloaded.
  }
}

export function bearer(key: string): string | undefined {
  return key ? `Bearer ${key}` : undefined;
}
