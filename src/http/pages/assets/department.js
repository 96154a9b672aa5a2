/* global window, URL, URLSearchParams */
// The department overview (issue #8): the patients a department holds treatment responsibility
// (behandlingsansvar) for now, with the time left and the municipality involved, read from
// /api/responsibility/department/<sor> and read again every minute.
import { apiJson, byId, clearError, el, fmtDateTime, fmtDecimal, onLanguageChange, showError, startPage, t, tCount, tokenClaims } from './common.js';

const REFRESH_MS = 60_000;
const SOR = /^\d{11,18}$/;

const state = { sor: undefined, overview: undefined };
let timer;

/** A CPR number as people write it: DDMMYY-SSSS. */
const formatCpr = (cpr) => (/^\d{10}$/.test(cpr) ? `${cpr.slice(0, 6)}-${cpr.slice(6)}` : cpr);

function municipalityText(m) {
  const name = m.name ?? (m.sor === undefined ? t('department.unknownMunicipality') : `SOR ${m.sor}`);
  return m.kommunekode === undefined ? name : `${name} (${t('department.kommunekode', { code: m.kommunekode })})`;
}

function render() {
  const o = state.overview;
  const heading = byId('department-name');
  const meta = byId('department-meta');
  const table = byId('patients-table');
  if (state.sor === undefined) {
    heading.textContent = t('department.pickSor');
    meta.textContent = '';
    table.replaceChildren();
    return;
  }
  if (o === undefined) {
    heading.textContent = `SOR ${state.sor}`;
    meta.textContent = t('common.loading');
    table.replaceChildren();
    return;
  }
  heading.textContent = t('department.name', { name: o.department.name ?? o.department.sor, sor: o.department.sor });
  meta.textContent = `${t('common.asOf', { at: fmtDateTime(o.at) })} · ${tCount('department.count', o.patients.length)}`;
  if (o.patients.length === 0) {
    table.replaceChildren(el('tbody', {}, el('tr', {}, el('td', { text: t('department.empty') }))));
    return;
  }
  const cols = ['col.patient', 'col.until', 'col.hoursLeft', 'col.municipality'];
  const rows = o.patients.map((p) =>
    el(
      'tr',
      { dataset: { patient: p.patient.id } },
      el('td', { dataset: { col: 'patient' }, title: `Patient/${p.patient.id}`, text: p.patient.cpr === undefined ? t('department.patientId', { id: p.patient.id }) : formatCpr(p.patient.cpr) }),
      el('td', { dataset: { col: 'until' }, text: fmtDateTime(p.until) }),
      el('td', { dataset: { col: 'hoursLeft' }, className: 'n', text: fmtDecimal(p.hoursLeft, 2) }),
      el('td', { dataset: { col: 'municipality', sor: p.municipality.sor ?? '' }, text: municipalityText(p.municipality) }),
    ),
  );
  table.replaceChildren(
    el('thead', {}, el('tr', {}, cols.map((c) => el('th', { scope: 'col', className: c === 'col.hoursLeft' ? 'n' : undefined, text: t(c) })))),
    el('tbody', {}, rows),
  );
}

async function load() {
  const sor = state.sor;
  if (sor === undefined) {
    render();
    return;
  }
  clearError();
  try {
    const overview = await apiJson(`/api/responsibility/department/${encodeURIComponent(sor)}`);
    if (state.sor !== sor) return; // another department was chosen meanwhile
    state.overview = overview;
    render();
  } catch (err) {
    showError(err);
  }
}

function choose(sor) {
  state.sor = sor;
  state.overview = undefined;
  byId('sor').value = sor;
  const url = new URL(window.location.href);
  url.searchParams.set('sor', sor);
  window.history.replaceState(null, '', url);
  void load();
}

function onSignedIn() {
  const requested = new URLSearchParams(window.location.search).get('sor') ?? undefined;
  // A hospital client's own unit is the natural default; the API decides what it may see.
  const claims = tokenClaims();
  const own = claims.role === 'hospital' && typeof claims.org === 'string' ? claims.org : undefined;
  const sor = requested !== undefined && SOR.test(requested) ? requested : own;
  if (sor === undefined) render();
  else choose(sor);
  timer ??= window.setInterval(() => {
    if (!byId('app').hidden) void load();
  }, REFRESH_MS);
}

byId('department-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const sor = byId('sor').value.trim();
  if (SOR.test(sor)) choose(sor);
});
byId('refresh').addEventListener('click', () => {
  void load();
});
onLanguageChange(render);
startPage({ onSignedIn });
