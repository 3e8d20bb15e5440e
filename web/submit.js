// The submit form: shows each task's own inputs, builds the multipart request exactly as
// POST /v1/jobs takes it (only the fields the user set; the service fills the rest), and
// shows the service's error message beside the form.
import { call } from './api.js';
import { MaskPainter } from './mask.js';

const $ = (id) => document.getElementById(id);
const SPEC_FIELDS = ['iterations', 'snapshot_every', 'seed', 'learning_rate', 'reg_noise', 'exp_weight', 'max_seconds',
  'auto_stop', 'backtracking', 'optimizer'];

export class SubmitForm {
  constructor(onSubmitted) {
    this.onSubmitted = onSubmitted;
    this.painter = new MaskPainter($('mask-canvas'), $('brush'));
    this.previewURL = null;
    $('task').addEventListener('change', () => this.showTaskInputs());
    for (const radio of document.querySelectorAll('input[name=mask-mode]')) radio.addEventListener('change', () => this.showMaskMode());
    $('image').addEventListener('change', () => this.imageChosen());
    $('mask-clear').addEventListener('click', () => this.painter.clear());
    const drop = $('drop');
    drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault(); drop.classList.remove('over');
      if (e.dataTransfer.files.length) { $('image').files = e.dataTransfer.files; this.imageChosen(); }
    });
    $('submit-form').addEventListener('submit', (e) => { e.preventDefault(); this.submit(); });
    this.showTaskInputs(); this.showMaskMode();
  }

  showTaskInputs() {
    const task = $('task').value;
    for (const el of document.querySelectorAll('#submit-form [data-for]')) el.hidden = !el.dataset.for.split(' ').includes(task);
  }

  showMaskMode() {
    const upload = $('mask-upload').checked;
    $('mask-upload-row').hidden = !upload;
    $('mask-paint-row').hidden = upload;
  }

  imageChosen() {
    const file = $('image').files[0];
    const preview = $('image-preview');
    if (this.previewURL) URL.revokeObjectURL(this.previewURL);
    this.previewURL = null;
    this.painter.setImage(null);
    if (!file) { preview.hidden = true; return; }
    this.previewURL = URL.createObjectURL(file);
    preview.onload = () => { preview.hidden = false; this.painter.setImage(preview); };
    preview.onerror = () => { preview.hidden = true; };
    preview.src = this.previewURL;
  }

  showError(message) {
    const el = $('submit-error');
    el.textContent = message || '';
    el.hidden = !message;
  }

  async form() {
    const data = new FormData();
    const task = $('task').value;
    const image = $('image').files[0];
    if (image && task !== 'activation') data.append('image', image, image.name);
    data.append('task', task);
    const visible = (id) => !$(id).closest('[data-for]').hidden;
    for (const id of ['preset', 'setup', 'factor', 'layer', 'keep', 'class']) {
      if (visible(id) && $(id).value.trim() !== '') data.append(id, $(id).value.trim());
    }
    if (task === 'flash' && $('guide').files[0]) data.append('guide', $('guide').files[0]);
    if (task === 'inpaint' || task === 'restore') {
      if ($('mask-upload').checked) {
        if ($('mask').files[0]) data.append('mask', $('mask').files[0]);
      } else if (task === 'inpaint' || this.painter.painted || $('keep').value.trim() === '') {
        const blob = await this.painter.toBlob();
        if (blob) data.append('mask', blob, 'mask.png');
      }
    }
    for (const id of SPEC_FIELDS) {
      const value = $(id).value.trim();
      if (value !== '') data.append(id, value);
    }
    const network = $('network').value.trim();
    if (network) data.append('network', network);
    return data;
  }

  async submit() {
    this.showError('');
    const button = $('submit');
    button.disabled = true;
    try {
      const response = await call('v1/jobs', { method: 'POST', body: await this.form() });
      const job = await response.json();
      this.onSubmitted(job, this.previewURL);
    } catch (e) {
      this.showError(e.status ? `${e.message} (${e.status} ${e.code})` : e.message);
    } finally {
      button.disabled = false;
    }
  }
}
