// The loss (log scale, left) and the PSNR against the input (right) over the iterations,
// drawn by hand on a canvas: no library, nothing fetched.
const LOSS = '#c2410c';
const PSNR = '#0b5cad';

export class Chart {
  constructor(canvas) { this.canvas = canvas; this.points = new Map(); this.total = 1; }

  reset(total) { this.points.clear(); this.total = Math.max(1, total || 1); this.draw(); }

  add(iteration, loss, psnr) {
    if (!Number.isFinite(iteration)) return;
    const p = this.points.get(iteration) || {};
    if (Number.isFinite(loss) && loss > 0) p.loss = loss;
    if (Number.isFinite(psnr)) p.psnr = psnr;
    this.points.set(iteration, p);
  }

  draw() {
    const c = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(200, c.clientWidth || 480), height = Math.round(width * 0.54);
    c.width = Math.round(width * ratio); c.height = Math.round(height * ratio);
    const g = c.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.fillStyle = '#fff'; g.fillRect(0, 0, width, height);
    const left = 52, right = width - 46, top = 12, bottom = height - 26;
    g.strokeStyle = '#d0d7de'; g.lineWidth = 1;
    g.strokeRect(left, top, right - left, bottom - top);
    g.font = '11px system-ui, sans-serif'; g.fillStyle = '#5b6470';
    g.textAlign = 'center';
    g.fillText('0', left, height - 8);
    g.fillText(String(this.total), right, height - 8);
    g.fillText('iteration', (left + right) / 2, height - 8);
    const points = [...this.points.entries()].sort((a, b) => a[0] - b[0]);
    const x = (i) => left + (right - left) * Math.min(1, i / this.total);
    const series = (key, color, transform, side) => {
      const values = points.filter(([, p]) => p[key] !== undefined).map(([i, p]) => [i, transform(p[key])]);
      if (!values.length) return;
      let lo = Math.min(...values.map((v) => v[1])), hi = Math.max(...values.map((v) => v[1]));
      if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
      const y = (v) => bottom - (bottom - top) * (v - lo) / (hi - lo);
      g.strokeStyle = color; g.lineWidth = 2; g.beginPath();
      values.forEach(([i, v], n) => (n ? g.lineTo(x(i), y(v)) : g.moveTo(x(i), y(v))));
      g.stroke();
      g.fillStyle = color; g.textAlign = side === 'left' ? 'right' : 'left';
      const at = side === 'left' ? left - 4 : right + 4;
      const label = (v) => (key === 'loss' ? (10 ** v).toExponential(1) : v.toFixed(1));
      g.fillText(label(hi), at, top + 8);
      g.fillText(label(lo), at, bottom);
    };
    series('loss', LOSS, Math.log10, 'left');
    series('psnr', PSNR, (v) => v, 'right');
  }
}
