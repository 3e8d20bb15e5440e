// Recent jobs (GET /v1/jobs): state, task, size and a thumbnail (the result, else the input).
import { blobURL, json, jobPath } from './api.js';

export class JobList {
  constructor(list, more) {
    this.list = list; this.more = more; this.cursor = null; this.urls = [];
    more.addEventListener('click', () => this.load(false));
  }

  async load(fresh = true) {
    if (fresh) {
      for (const u of this.urls) URL.revokeObjectURL(u);
      this.urls = []; this.cursor = null; this.list.replaceChildren();
    }
    const query = this.cursor ? `&cursor=${encodeURIComponent(this.cursor)}` : '';
    const page = await json(`v1/jobs?limit=20${query}`);
    for (const job of page.jobs) this.list.append(this.item(job));
    this.cursor = page.next_cursor;
    this.more.hidden = !this.cursor;
    if (!page.jobs.length && fresh) {
      const li = document.createElement('li'); li.textContent = 'No jobs yet.'; this.list.append(li);
    }
  }

  item(job) {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = `#/jobs/${encodeURIComponent(job.id)}`;
    a.dataset.testid = 'job-item';
    const img = document.createElement('img');
    img.alt = '';
    const text = document.createElement('span');
    const state = document.createElement('b');
    state.textContent = job.state; state.className = `state-${job.state}`;
    text.append(state, ` · ${job.task} · ${job.input.width}×${job.input.height} · ${job.progress.iteration}/${job.progress.total} · ${new Date(job.created_at).toLocaleString()}`);
    a.append(img, text);
    li.append(a);
    blobURL(jobPath(job.id, job.links.result ? '/result.png' : '/input'))
      .then((u) => { this.urls.push(u); img.src = u; })
      .catch(() => {});
    return li;
  }
}
