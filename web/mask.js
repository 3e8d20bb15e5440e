// Paints an inpainting mask over the image: the mask is kept at the image's own size
// (white = known pixel, black = hole) on a canvas of its own, and shown multiplied over
// the image so that the holes look black.
export class MaskPainter {
  constructor(view, brush) {
    this.view = view; this.brush = brush;
    this.mask = document.createElement('canvas');
    this.image = null; this.painted = false; this.last = null;
    view.addEventListener('pointerdown', (e) => {
      if (!this.image) return;
      view.setPointerCapture(e.pointerId);
      this.last = this.point(e); this.stroke(this.last, this.last); e.preventDefault();
    });
    view.addEventListener('pointermove', (e) => {
      if (!this.last) return;
      const p = this.point(e); this.stroke(this.last, p); this.last = p;
    });
    const end = () => { this.last = null; };
    view.addEventListener('pointerup', end);
    view.addEventListener('pointercancel', end);
  }

  /** A new image: a new all-known mask of its size. */
  setImage(image) {
    this.image = image;
    const w = image ? image.naturalWidth : 1, h = image ? image.naturalHeight : 1;
    for (const c of [this.view, this.mask]) { c.width = w; c.height = h; }
    if (image) this.brush.value = String(Math.max(1, Math.round(Math.min(w, h) / 12)));
    this.clear();
  }

  clear() {
    const g = this.mask.getContext('2d');
    g.fillStyle = '#fff'; g.fillRect(0, 0, this.mask.width, this.mask.height);
    this.painted = false; this.render();
  }

  point(e) {
    const r = this.view.getBoundingClientRect();
    return { x: (e.clientX - r.left) * this.view.width / r.width, y: (e.clientY - r.top) * this.view.height / r.height };
  }

  stroke(from, to) {
    const g = this.mask.getContext('2d');
    g.strokeStyle = '#000'; g.lineCap = 'round'; g.lineJoin = 'round';
    g.lineWidth = Number(this.brush.value);
    g.beginPath(); g.moveTo(from.x, from.y); g.lineTo(to.x + 0.01, to.y); g.stroke();
    this.painted = true; this.render();
  }

  render() {
    const g = this.view.getContext('2d');
    g.globalCompositeOperation = 'source-over';
    g.fillStyle = '#fff'; g.fillRect(0, 0, this.view.width, this.view.height);
    if (this.image) g.drawImage(this.image, 0, 0);
    g.globalCompositeOperation = 'multiply';
    g.drawImage(this.mask, 0, 0);
    g.globalCompositeOperation = 'source-over';
  }

  /** The mask as a PNG, or null when there is no image to paint on. */
  toBlob() {
    if (!this.image) return Promise.resolve(null);
    return new Promise((resolve) => this.mask.toBlob(resolve, 'image/png'));
  }
}
