// Every call to the service goes through here. URLs are relative, so the page works under
// a proxy's path prefix; the API key, when the service wants one, is kept for this tab
// only (sessionStorage) and sent as a header, never in a URL.
const KEY = 'dipd.apiKey';

export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

export const apiKey = () => sessionStorage.getItem(KEY) || '';
export function setApiKey(key) { if (key) sessionStorage.setItem(KEY, key); else sessionStorage.removeItem(KEY); }

let unauthorized = () => {};
/** Called on every 401, so the page can ask for the key. */
export function onUnauthorized(handler) { unauthorized = handler; }

export const jobPath = (id, rest = '') => `v1/jobs/${encodeURIComponent(id)}${rest}`;

/** The service's own error ({"error":{"code","message"}}), or a description of what went wrong. */
export async function errorOf(response) {
  try {
    const body = await response.json();
    if (body && body.error && typeof body.error.message === 'string') {
      return new ApiError(response.status, String(body.error.code), body.error.message);
    }
  } catch { /* not JSON: fall through */ }
  return new ApiError(response.status, `http_${response.status}`, `the service answered ${response.status} ${response.statusText}`);
}

/** fetch() with the key; resolves to the response when it is 2xx, else throws an ApiError. */
export async function call(path, options = {}) {
  const headers = new Headers(options.headers || {});
  const key = apiKey();
  if (key) headers.set('Authorization', `Bearer ${key}`);
  let response;
  try {
    response = await fetch(path, { ...options, headers, credentials: 'same-origin' });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'the service cannot be reached');
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401) unauthorized(error);
    throw error;
  }
  return response;
}

export const json = async (path, options) => (await call(path, options)).json();

/** An image the page may show or offer for download: fetched with the key, kept as a blob URL. */
export async function blobURL(path) {
  const response = await call(path);
  return URL.createObjectURL(await response.blob());
}
