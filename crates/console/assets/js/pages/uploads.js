// The upload panel of a bucket page: file and folder pickers, drag and drop (folders
// included), a progress bar per file and one overall, cancel per file.

import { uploadFile } from '../upload.js';
import { describeError, formatSize, h, showError, showInfo } from '../ui.js';

/** At most this many files upload at once; the rest wait in order. */
const PARALLEL_FILES = 2;

// Files of a dropped directory entry, with their paths relative to the drop.
async function entryFiles(entry, path = '') {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    return [{ file, name: path + file.name }];
  }
  const reader = entry.createReader();
  const out = [];
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) return out;
    for (const child of batch) out.push(...(await entryFiles(child, `${path}${entry.name}/`)));
  }
}

/** Builds the panel; `prefix()` is the folder uploads go to, `done()` runs after each batch. */
export function uploadPanel(client, bucket, prefix, done) {
  const picker = h('input', { type: 'file', id: 'upload-files', multiple: true, onchange: () => start([...picker.files].map((file) => ({ file, name: file.name }))) });
  const folderPicker = h('input', { type: 'file', id: 'upload-folder', webkitdirectory: true, onchange: () => start([...folderPicker.files].map((file) => ({ file, name: file.webkitRelativePath || file.name }))) });
  const overall = h('progress', { id: 'upload-overall', max: '1', value: '0', 'aria-label': 'Overall upload progress' });
  const overallText = h('span', { id: 'upload-overall-text', class: 'muted' });
  const list = h('div', { class: 'uploads', 'aria-live': 'polite' });
  const zone = h(
    'section',
    {
      class: 'drop',
      'aria-label': 'Upload',
      ondragover: (e) => {
        e.preventDefault();
        zone.classList.add('over');
      },
      ondragleave: () => zone.classList.remove('over'),
      ondrop: async (e) => {
        e.preventDefault();
        zone.classList.remove('over');
        const entries = [...e.dataTransfer.items].map((i) => i.webkitGetAsEntry?.()).filter(Boolean);
        const files = entries.length
          ? (await Promise.all(entries.map((entry) => entryFiles(entry)))).flat()
          : [...e.dataTransfer.files].map((file) => ({ file, name: file.name }));
        start(files);
      },
    },
    h('div', { class: 'row' }, h('label', { for: 'upload-files' }, 'Upload files (u)'), picker, h('label', { for: 'upload-folder' }, 'or a folder'), folderPicker),
    h('p', { class: 'muted' }, 'Or drop files and folders here.'),
    h('div', { class: 'row' }, overall, overallText),
    list,
  );

  let total = 0;
  let sent = 0;
  const showOverall = () => {
    overall.value = total ? sent / total : 0;
    overallText.textContent = total ? `${Math.floor((100 * sent) / total)}% of ${formatSize(total)}` : '';
  };

  async function uploadOne({ file, name }) {
    const key = prefix() + name;
    const controller = new AbortController();
    const bar = h('progress', { max: String(file.size || 1), value: '0', 'aria-label': `Progress of ${name}` });
    const label = h('span', { class: 'upload-state' }, '0%');
    const cancel = h('button', { type: 'button', 'aria-label': `Cancel ${name}`, onclick: () => controller.abort() }, 'Cancel');
    const row = h('div', { class: 'upload-row', 'data-key': key }, h('div', {}, h('div', {}, name), bar), label, cancel);
    list.append(row);
    let counted = 0;
    const onProgress = (bytes) => {
      sent += bytes - counted;
      counted = bytes;
      bar.value = bytes;
      label.textContent = `${file.size ? Math.floor((100 * bytes) / file.size) : 100}%`;
      showOverall();
    };
    try {
      await uploadFile(client, bucket, key, file, { onProgress, signal: controller.signal });
      onProgress(file.size);
      bar.value = file.size || 1;
      label.textContent = '100%';
      cancel.remove();
      return true;
    } catch (error) {
      // A cancelled or failed file leaves nothing: its bytes leave the overall count too.
      sent -= counted;
      total -= file.size;
      showOverall();
      label.textContent = error.code === 'Aborted' ? 'Cancelled' : 'Failed';
      label.title = describeError(error);
      cancel.remove();
      if (error.code !== 'Aborted') showError(error, `Upload of ${name}`);
      return false;
    }
  }

  async function start(files) {
    if (!files.length) return;
    picker.value = '';
    folderPicker.value = '';
    total += files.reduce((n, f) => n + f.file.size, 0);
    showOverall();
    const queue = [...files];
    let ok = 0;
    const worker = async () => {
      while (queue.length) if (await uploadOne(queue.shift())) ok++;
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_FILES, files.length) }, worker));
    if (ok === files.length) showInfo(`Uploaded ${ok} file(s).`);
    done();
  }

  return { element: zone, pick: () => picker.click() };
}
