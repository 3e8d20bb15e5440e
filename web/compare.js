// Before and after: the result drawn over the input and clipped at a divider that the
// range input (keyboard) or a drag on the pictures (pointer) moves.
export class Compare {
  constructor(box, before, after, line, slider) {
    Object.assign(this, { box, before, after, line, slider });
    slider.addEventListener('input', () => this.place());
    const drag = (e) => {
      const r = box.getBoundingClientRect();
      slider.value = String(Math.round(100 * Math.min(1, Math.max(0, (e.clientX - r.left) / r.width))));
      this.place();
    };
    box.addEventListener('pointerdown', (e) => { box.setPointerCapture(e.pointerId); this.dragging = true; drag(e); });
    box.addEventListener('pointermove', (e) => { if (this.dragging) drag(e); });
    box.addEventListener('pointerup', () => { this.dragging = false; });
    this.place();
  }

  show(beforeURL, afterURL) { this.before.src = beforeURL; this.after.src = afterURL; this.place(); }

  place() {
    const v = Number(this.slider.value);
    this.after.style.clipPath = `inset(0 ${100 - v}% 0 0)`;
    this.line.style.left = `${v}%`;
  }
}
