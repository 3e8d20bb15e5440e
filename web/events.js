// Follows a job's Server-Sent Events with fetch(), not EventSource: EventSource cannot send
// the Authorization header, and a key in the URL would land in logs. Parses the
// event:/data:/id: lines itself and reconnects with Last-Event-ID until `done`.
import { call, jobPath } from './api.js';
import { streamEnds } from './event-kinds.js';

export function follow(id, onEvent, onError) {
  let lastID = null;
  let stopped = false;
  let controller = null;

  async function readOnce() {
    controller = new AbortController();
    const headers = { Accept: 'text/event-stream' };
    if (lastID !== null) headers['Last-Event-ID'] = lastID;
    const response = await call(jobPath(id, '/events'), { headers, signal: controller.signal, cache: 'no-store' });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let event = { name: 'message', data: [] };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return false;
      buffer += value;
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        let line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line.endsWith('\r')) line = line.slice(0, -1);
        if (line === '') {
          if (event.data.length) {
            onEvent(event.name, JSON.parse(event.data.join('\n')));
            if (streamEnds.includes(event.name)) return true;
          }
          event = { name: 'message', data: [] };
          continue;
        }
        if (line.startsWith(':')) continue; // heartbeat comment
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let text = colon < 0 ? '' : line.slice(colon + 1);
        if (text.startsWith(' ')) text = text.slice(1);
        if (field === 'event') event.name = text;
        else if (field === 'data') event.data.push(text);
        else if (field === 'id') lastID = text;
      }
    }
  }

  (async () => {
    let delay = 1000;
    while (!stopped) {
      try {
        if (await readOnce()) return;
        delay = 1000;
      } catch (e) {
        if (stopped || e.name === 'AbortError') return;
        if (onError) onError(e);
        if (e.status === 401 || e.status === 404) return;
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 15000);
    }
  })();

  return () => { stopped = true; if (controller) controller.abort(); };
}
