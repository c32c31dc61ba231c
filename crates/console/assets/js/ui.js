// DOM helpers shared by the pages: element building, the status line, errors as
// "Code: human sentence", sizes and dates.

/** Builds an element: h('button', { type: 'button', onclick }, 'text', child...). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name in el && typeof value !== 'string') el[name] = value;
    else el.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

// Sentences for the codes people meet in the console; other codes show the server's message.
const SENTENCES = {
  AccessDenied: 'Your access key is not allowed to do this (an IAM or bucket policy denies it).',
  InvalidAccessKeyId: 'This access key ID does not exist or is inactive.',
  SignatureDoesNotMatch: 'The secret access key does not match the access key ID.',
  BucketAlreadyExists: 'A bucket of that name already exists.',
  BucketAlreadyOwnedByYou: 'You already have a bucket of that name.',
  BucketNotEmpty: 'The bucket still holds objects: delete them first.',
  InvalidBucketName: 'Bucket names are 3 to 63 lower-case letters, digits, dots and hyphens.',
  NoSuchBucket: 'This bucket does not exist (any more).',
  NoSuchKey: 'This object does not exist (any more).',
  MalformedPolicy: 'The policy document was refused.',
  EntityTooSmall: 'A part was smaller than 5 MiB.',
  NetworkError: 'The server could not be reached.',
  Aborted: 'Cancelled.',
  NoSuchEntity: 'No such IAM user, group, key or policy.',
  EntityAlreadyExists: 'An IAM entity of that name already exists.',
  DeleteConflict: 'It is still in use: remove its keys, groups or policies first.',
  LimitExceeded: 'An IAM limit was reached (for example two access keys per user).',
};

/** "Code: sentence (server message)" for an error. */
export function describeError(error) {
  const code = error.code || 'Error';
  const sentence = SENTENCES[code];
  const message = error.message && error.message !== code ? error.message : '';
  if (sentence && message && message !== sentence) return `${code}: ${sentence} (${message})`;
  return `${code}: ${sentence || message || 'The request failed.'}`;
}

const status = () => document.getElementById('status');

/** Shows an error in the status line (announced to screen readers). */
export function showError(error, context = '') {
  const el = status();
  el.className = 'status error';
  const id = error.requestId ? ` [request ${error.requestId}]` : '';
  el.textContent = `${context ? context + ' — ' : ''}${describeError(error)}${id}`;
  if (!error.code) console.error(error);
}

/** Shows a success or progress message in the status line. */
export function showInfo(message) {
  const el = status();
  el.className = 'status info';
  el.textContent = message;
}

export function clearStatus() {
  const el = status();
  el.className = 'status';
  el.textContent = '';
}

/** Runs `action`, showing any error it throws; resolves with its result or undefined. */
export async function attempt(action, context) {
  try {
    return await action();
  } catch (error) {
    showError(error, context);
    return undefined;
  }
}

export function formatSize(bytes) {
  if (!Number.isFinite(bytes)) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function formatDate(text) {
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? text : d.toLocaleString();
}

/** Replaces the main view's content and focuses its heading (keyboard and screen readers). */
export function render(...children) {
  const main = document.getElementById('view');
  main.replaceChildren(...children.flat());
  const heading = main.querySelector('h2');
  if (heading) {
    heading.tabIndex = -1;
    heading.focus();
  }
}

/** A labelled form field: label + input (or the given control). */
export function field(label, control) {
  const id = control.id || `f-${Math.random().toString(36).slice(2)}`;
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}
