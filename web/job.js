// One job's page: follows its event stream (state, progress, snapshots), draws the chart,
// scrubs through the snapshots, cancels, and compares the input with the result.
import { blobURL, call, json, jobPath } from './api.js';
import { follow } from './events.js';
import { EventKind } from './event-kinds.js';
import { Chart } from './chart.js';
import { Compare } from './compare.js';

const $ = (id) => document.getElementById(id);

function duration(seconds) {
  if (!Number.isFinite(seconds)) return '';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m` : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export class JobPage {
  constructor() {
    this.chart = new Chart($('chart'));
    this.compare = new Compare($('compare-box'), $('compare-before'), $('compare-after'), $('compare-line'), $('compare-slider'));
    this.images = new Map();
    $('snapshot-slider').addEventListener('input', () => this.showSnapshot(Number($('snapshot-slider').value)));
    $('cancel').addEventListener('click', () => this.cancel());
    window.addEventListener('resize', () => this.chart.draw());
  }

  /** Opens job `id`; `inputURL` is the image kept from the submit, when there is one. */
  async open(id, inputURL) {
    this.close();
    this.id = id; this.snapshots = []; this.job = null; this.resultShown = false; this.inputURL = inputURL || null; this.tilesShown = null;
    this.liveSnapshots = 0;
    $('job-id').textContent = id;
    for (const el of ['job-task', 'job-state', 'job-stop', 'job-figures', 'snapshot-caption']) $(el).textContent = '';
    $('snapshot-caption').textContent = 'No snapshot yet.';
    $('snapshot-image').hidden = true; $('snapshot-link').hidden = true; $('compare').hidden = true; $('job-error').hidden = true;
    $('snapshot-slider').disabled = true; $('snapshot-slider').max = '0';
    $('job-progress').value = 0;
    this.chart.reset(1);
    try {
      this.update(await json(jobPath(id)));
      const list = await json(jobPath(id, '/snapshots'));
      for (const s of list.snapshots) this.addSnapshot(s, false);
      this.chart.draw();
    } catch (e) {
      this.fail(e); return;
    }
    const opened = id;
    this.stop = follow(id, (name, data) => { if (this.id === opened) this.onEvent(name, data); }, (e) => this.fail(e));
  }

  close() {
    if (this.stop) this.stop();
    this.stop = null; this.id = null;
    for (const u of this.images.values()) URL.revokeObjectURL(u);
    this.images.clear();
  }

  fail(e) { $('job-error').textContent = e.message; $('job-error').hidden = false; }

  onEvent(name, data) {
    if (name === EventKind.progress) {
      this.progress(data);
      this.chart.add(data.iteration, data.loss, data.psnr_input); this.chart.draw();
    } else if (name === EventKind.snapshot) {
      this.liveSnapshots += 1;
      $('snapshot-image').dataset.live = String(this.liveSnapshots);
      this.addSnapshot(data, true);
    } else if (name === EventKind.status || name === EventKind.state || name === EventKind.done) {
      this.update(data);
    }
  }

  update(job) {
    const firstTotal = !this.job || this.job.progress.total !== job.progress.total;
    this.job = job;
    $('job-task').textContent = job.task;
    $('job-state').textContent = job.state;
    $('job-state').className = `state-${job.state}`;
    if (firstTotal) { this.chart.total = Math.max(1, job.progress.total); this.chart.draw(); }
    this.progress(job.progress);
    const finished = ['succeeded', 'failed', 'canceled'].includes(job.state);
    $('cancel').disabled = finished;
    let stop = '';
    if (job.stop_reason) stop = `stopped: ${job.stop_reason.replace('_', ' ')}`;
    if (job.best_iteration !== null && job.best_iteration !== undefined) stop += `, result from iteration ${job.best_iteration}`;
    if (job.queue_position) stop = `position ${job.queue_position} in the queue`;
    $('job-stop').textContent = stop;
    this.tiles(job.tiles);
    if (job.error) this.fail(new Error(job.error.message));
    if (job.links.result && !this.resultShown) this.showResult();
  }

  // A tiled job: one cell per tile, laid out as the image is cut, coloured by its state
  // and filling with its progress.
  tiles(t) {
    const box = $('job-tiles');
    box.hidden = !t;
    if (!t) return;
    box.style.gridTemplateColumns = `repeat(${t.columns}, 1fr)`;
    while (box.children.length > t.items.length) box.lastChild.remove();
    while (box.children.length < t.items.length) box.append(document.createElement('span'));
    t.items.forEach((tile, i) => {
      const cell = box.children[i];
      const fraction = ['succeeded', 'copied'].includes(tile.state) ? 1 : (tile.total ? tile.iteration / tile.total : 0);
      cell.className = `tile tile-${tile.state}`;
      cell.style.setProperty('--done', `${Math.round(fraction * 100)}%`);
      cell.title = `tile ${tile.index} at ${tile.x},${tile.y}: ${tile.state}` + (tile.total ? `, iteration ${tile.iteration} of ${tile.total}` : '');
    });
    box.setAttribute('aria-label', `${t.done} of ${t.fitted} tiles fitted, ${t.running} running`);
    if (this.tilesShown !== t.done) { this.tilesShown = t.done; this.showTiles(t); }
  }

  // The image as its tiles are now: ended tiles' results, running ones' latest snapshots, the input elsewhere.
  async showTiles(t) {
    const id = this.id;
    let url;
    try { url = await blobURL(jobPath(id, '/snapshots/latest.png')); } catch (e) { return; }
    if (this.id !== id) return;
    const img = $('snapshot-image');
    img.src = url; img.hidden = false; img.alt = `The image with ${t.done} of ${t.fitted} tiles fitted`;
    $('snapshot-caption').textContent = `${t.done} of ${t.fitted} tiles fitted` + (t.copied ? `, ${t.copied} copied` : '');
  }

  progress(p) {
    $('job-progress').value = p.total ? p.iteration / p.total : 0;
    const parts = [`iteration ${p.iteration} of ${p.total}`];
    if (p.iterations_per_second) parts.push(`${p.iterations_per_second.toFixed(2)} it/s`);
    if (Number.isFinite(p.eta_seconds)) parts.push(`ETA ${duration(p.eta_seconds)}`);
    if (Number.isFinite(p.loss)) parts.push(`loss ${p.loss.toPrecision(3)}`);
    if (Number.isFinite(p.psnr_input)) parts.push(`PSNR vs input ${p.psnr_input.toFixed(2)} dB`);
    $('job-figures').textContent = parts.join(' · ');
  }

  addSnapshot(s, live) {
    // A tiled job's one snapshot is blended on demand: \`tiles\` shows it as tiles end.
    if (s.url && s.url.endsWith('/latest.png')) return;
    if (this.snapshots.some((x) => x.iteration === s.iteration)) return;
    this.snapshots.push(s);
    this.snapshots.sort((a, b) => a.iteration - b.iteration);
    this.chart.add(s.iteration, s.loss, s.psnr_input);
    const slider = $('snapshot-slider');
    const atEnd = slider.disabled || Number(slider.value) >= Number(slider.max);
    slider.max = String(this.snapshots.length - 1);
    slider.disabled = false;
    if (atEnd || !live) { slider.value = slider.max; this.showSnapshot(this.snapshots.length - 1); }
    if (live) this.chart.draw();
  }

  async showSnapshot(index) {
    const s = this.snapshots[index];
    if (!s) return;
    const id = this.id;
    let url = this.images.get(s.iteration);
    try {
      if (!url) { url = await blobURL(jobPath(id, `/snapshots/${s.iteration}.png`)); this.images.set(s.iteration, url); }
    } catch (e) { this.fail(e); return; }
    if (this.id !== id || this.snapshots[Number($('snapshot-slider').value)] !== s) return;
    const img = $('snapshot-image');
    img.src = url; img.hidden = false; img.alt = `Snapshot at iteration ${s.iteration}`;
    img.dataset.iteration = String(s.iteration);
    $('snapshot-caption').textContent = `Iteration ${s.iteration} · loss ${Number(s.loss).toPrecision(3)} · PSNR vs input ${Number(s.psnr_input).toFixed(2)} dB`;
    const link = $('snapshot-link');
    link.href = url; link.download = `${id}-${s.iteration}.png`; link.hidden = false;
  }

  async showResult() {
    this.resultShown = true;
    const id = this.id;
    try {
      const result = await blobURL(jobPath(id, '/result.png'));
      // An activation job has no input: its result is shown on both sides.
      const input = this.job && this.job.task === 'activation' ? result : this.inputURL || await blobURL(jobPath(id, '/input'));
      if (this.id !== id) return;
      this.compare.show(input, result);
      const link = $('result-link');
      link.href = result; link.download = `${id}-result.png`;
      $('compare').hidden = false;
    } catch (e) { this.resultShown = false; this.fail(e); }
  }

  async cancel() {
    $('cancel').disabled = true;
    try { this.update(await (await call(jobPath(this.id, '/cancel'), { method: 'POST' })).json()); } catch (e) { this.fail(e); $('cancel').disabled = false; }
  }
}
