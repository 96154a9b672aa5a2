/* global document, window, sessionStorage, localStorage, fetch, URL, URLSearchParams, Blob, atob */
// Shared by the pages: labels (da/en), Copenhagen-time formatting, sign-in and authenticated API
// calls, CSV downloads. Plain browser ES module, no build step.
import { DICTIONARIES, LANGUAGES } from './i18n.js';

// ───────────────────────────── labels ─────────────────────────────

const LANG_KEY = 'sektorbro.lang';
const languageListeners = [];

/** The chosen language; Danish unless the user picked English before. */
export function lang() {
  const saved = localStorage.getItem(LANG_KEY);
  return LANGUAGES.includes(saved) ? saved : 'da';
}

/** The label for `key` in the current language, with `{name}` filled from `vars`. */
export function t(key, vars = {}) {
  const text = DICTIONARIES[lang()][key] ?? DICTIONARIES.da[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (all, name) => (name in vars ? String(vars[name]) : all));
}

/** A label that counts: `key.one` for exactly one, `key.other` otherwise; `{count}` is the number. */
export function tCount(key, count) {
  return t(`${key}.${count === 1 ? 'one' : 'other'}`, { count: fmtInt(count) });
}

/** Puts the labels of the current language into every element that names one. */
export function applyLabels(root = document) {
  document.documentElement.lang = lang();
  for (const node of root.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll('[data-i18n-title]')) node.title = t(node.dataset.i18nTitle);
  for (const node of root.querySelectorAll('[data-i18n-placeholder]')) node.placeholder = t(node.dataset.i18nPlaceholder);
}

export function onLanguageChange(listener) {
  languageListeners.push(listener);
}

function setLanguage(next) {
  localStorage.setItem(LANG_KEY, next);
  applyLabels();
  for (const listener of languageListeners) listener();
}

// ───────────────────────────── formatting ─────────────────────────────

const COPENHAGEN = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Copenhagen',
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
});

/** `2024-03-13 23:59`: an instant on the Copenhagen wall clock, whatever the browser's own zone. */
export function fmtDateTime(iso) {
  if (iso === null || iso === undefined) return t('common.none');
  const parts = {};
  for (const p of COPENHAGEN.formatToParts(new Date(iso))) parts[p.type] = p.value;
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/** A count with the language's thousands separator. */
export function fmtInt(n) {
  if (n === null || n === undefined) return t('common.none');
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, lang() === 'da' ? '.' : ',');
}

/** A decimal number with up to `digits` decimals and the language's decimal mark. */
export function fmtDecimal(n, digits = 2) {
  if (n === null || n === undefined) return t('common.none');
  const fixed = String(Number(n.toFixed(digits)));
  return lang() === 'da' ? fixed.replace('.', ',') : fixed;
}

/** A share 0-1 as a percentage with one decimal: `40,0 %` in Danish, `40.0%` in English. */
export function fmtShare(share) {
  if (share === null || share === undefined) return t('common.none');
  const pct = (share * 100).toFixed(1);
  return lang() === 'da' ? `${pct.replace('.', ',')} %` : `${pct}%`;
}

/** A duration, rounded down: `47 d 19 t` from a day on, `3 t 29 m` below it. */
export function fmtDuration(ms) {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) return `${String(days)} ${t('unit.day')} ${String(hours)} ${t('unit.hour')}`;
  return `${String(hours)} ${t('unit.hour')} ${String(minutes % 60)} ${t('unit.minute')}`;
}

/** `2024-03` → `marts 2024` / `March 2024`. */
export function monthName(key) {
  const m = /^(\d{4})-(\d{2})$/.exec(key);
  return m ? `${t(`month.${String(Number(m[2]))}`)} ${m[1]}` : key;
}

/** A label from the dictionary when it has one (`prefix.value`), else the value itself. */
export function labelOr(prefix, value) {
  const key = `${prefix}.${value}`;
  return key in DICTIONARIES[lang()] ? t(key) : value;
}

/** A small element builder that only ever sets text (never HTML): the data may hold anything. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k === 'className') node.className = v;
    else if (k === 'onclick') node.addEventListener('click', v);
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null) node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return node;
}

export function byId(id) {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`#${id} is missing from the page`);
  return node;
}

// ───────────────────────────── errors ─────────────────────────────

export class ApiError extends Error {
  constructor(status, reason) {
    super(reason);
    this.status = status;
  }
}

/** Thrown when the user must sign in (again) before the call can be made. */
export class SignInRequired extends Error {}

/** The reason an error answer gives: an OperationOutcome's diagnostics or an OAuth error description. */
async function reasonOf(res) {
  try {
    const body = await res.json();
    const diagnostics = (body.issue ?? []).map((i) => i.diagnostics).filter(Boolean);
    if (diagnostics.length > 0) return diagnostics.join('; ');
    return body.error_description ?? body.error ?? res.statusText;
  } catch {
    return res.statusText;
  }
}

export function showError(err) {
  if (err instanceof SignInRequired) return;
  const box = byId('error');
  box.textContent =
    err instanceof ApiError ? t('error.api', { status: err.status, reason: err.message })
    : t('error.network', { reason: err instanceof Error ? err.message : String(err) });
  box.hidden = false;
}

export function clearError() {
  byId('error').hidden = true;
}

// ───────────────────────────── sign-in and API calls ─────────────────────────────

// The token lives in sessionStorage (this tab only). The secret is kept in memory only, to renew
// the token when the API answers 401; after a reload an expired token means signing in again.
const SESSION_KEY = 'sektorbro.session';
let secretInMemory;
let signedIn = () => undefined;

function readSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null');
    return s && typeof s.accessToken === 'string' && typeof s.clientId === 'string' ? s : undefined;
  } catch {
    return undefined;
  }
}

/** The claims of the current token (role, org), for defaults only: the API decides what is allowed. */
export function tokenClaims() {
  const s = readSession();
  const payload = s?.accessToken.split('.')[1];
  if (payload === undefined) return {};
  try {
    return JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/')));
  } catch {
    return {};
  }
}

/** client_credentials with client_secret_post at /oauth/token. */
async function requestToken(clientId, secret) {
  const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret });
  const res = await fetch('/oauth/token', { method: 'POST', body, cache: 'no-store', credentials: 'omit' });
  if (!res.ok) throw new ApiError(res.status, await reasonOf(res));
  const json = await res.json();
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({ accessToken: json.access_token, clientId }));
  secretInMemory = secret;
}

function showSignIn(message) {
  byId('app').hidden = true;
  byId('sign-in').hidden = false;
  byId('signed-in-as').hidden = true;
  byId('sign-out').hidden = true;
  const note = byId('sign-in-error');
  note.textContent = message ?? '';
  note.hidden = message === undefined;
  const session = readSession();
  if (session) byId('client-id').value = session.clientId;
}

function showApp() {
  const session = readSession();
  byId('sign-in').hidden = true;
  byId('app').hidden = false;
  const who = byId('signed-in-as');
  who.textContent = t('auth.signedInAs', { client: session?.clientId ?? '' });
  who.hidden = false;
  byId('sign-out').hidden = false;
}

function endSession(message) {
  sessionStorage.removeItem(SESSION_KEY);
  secretInMemory = undefined;
  showSignIn(message);
}

/**
 * A GET on the API with the bearer token. A 401 renews the token once (with the secret kept in
 * memory) and retries; without it the user is asked to sign in again.
 */
export async function apiFetch(path, { accept = 'application/json' } = {}) {
  for (let attempt = 0; ; attempt++) {
    const session = readSession();
    if (session === undefined) {
      endSession(t('auth.expired'));
      throw new SignInRequired();
    }
    const res = await fetch(path, { headers: { Authorization: `Bearer ${session.accessToken}`, Accept: accept }, cache: 'no-store', credentials: 'omit' });
    if (res.status === 401) {
      if (attempt === 0 && secretInMemory !== undefined) {
        try {
          await requestToken(session.clientId, secretInMemory);
          continue;
        } catch {
          // fall through: the client may have been removed or its secret changed
        }
      }
      endSession(t('auth.expired'));
      throw new SignInRequired();
    }
    if (!res.ok) throw new ApiError(res.status, await reasonOf(res));
    return res;
  }
}

export async function apiJson(path) {
  return (await apiFetch(path)).json();
}

/** Saves text as a file through a Blob and a temporary download link. */
export function saveText(text, name) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const link = el('a', { href: url, download: name, className: 'offscreen' });
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Fetches a CSV with the token (a plain link cannot carry it) and saves it under the server's file name. */
export async function downloadCsv(path, fallbackName) {
  const res = await apiFetch(path, { accept: 'text/csv' });
  const name = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') ?? '')?.[1] ?? fallbackName;
  saveText(await res.text(), name);
}

/**
 * Wires the header (language, sign-out) and the sign-in form, then calls `onSignedIn` whenever
 * the user is signed in: at once when this tab already holds a token.
 */
export function startPage({ onSignedIn }) {
  signedIn = onSignedIn;
  applyLabels();
  byId('language').addEventListener('click', () => setLanguage(lang() === 'da' ? 'en' : 'da'));
  byId('sign-out').addEventListener('click', () => endSession());
  onLanguageChange(() => {
    if (!byId('signed-in-as').hidden) showApp();
  });

  const demo = document.body.dataset.demoClients === 'true' ? document.body.dataset.demoClient : undefined;
  const hint = byId('demo-hint');
  const renderHint = () => {
    hint.hidden = demo === undefined;
    if (demo !== undefined) hint.textContent = t('auth.demoHint', { client: demo, secret: `${demo}-secret` });
  };
  renderHint();
  onLanguageChange(renderHint);
  if (demo !== undefined && byId('client-id').value === '') byId('client-id').value = demo;

  byId('sign-in-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const clientId = byId('client-id').value.trim();
    const secret = byId('client-secret').value;
    try {
      await requestToken(clientId, secret);
      byId('client-secret').value = '';
      byId('sign-in-error').hidden = true;
      showApp();
      signedIn();
    } catch (err) {
      const note = byId('sign-in-error');
      note.textContent = t('auth.failed', { reason: err instanceof Error ? err.message : String(err) });
      note.hidden = false;
    }
  });

  if (readSession()) {
    showApp();
    signedIn();
  } else {
    showSignIn();
  }
}
