/* global document, URL, URLSearchParams, Chart */
// The quality dashboard (issue #7): the indicator per month against its target, per hospital and
// department, the overdue and at-risk worklist, and a drill-down from any number to the discharges
// behind it and on to a document's delivery timeline. Every figure comes from /api/timeliness.
import {
  apiFetch,
  apiJson,
  byId,
  clearError,
  downloadCsv,
  el,
  fmtDateTime,
  fmtDuration,
  fmtInt,
  fmtShare,
  labelOr,
  monthName,
  onLanguageChange,
  saveText,
  showError,
  startPage,
  t,
  tCount,
} from './common.js';

/** A drill-down reads at most this many rows onto the page; the CSV has them all. */
const MAX_DRILL_ROWS = 5000;
const DRILL_PAGE = 1000;
/** Rows in the indicator's denominator: decided or already missed. */
const MEASURED = ['on-time', 'late', 'overdue'];

/**
 * The indicator's columns, and the discharge states behind each number. `pending` counts rows not
 * yet due, which the API calls pending or at-risk. `sent` and the three-working-day count rest on
 * the sending time, so they drill down only when the indicator is measured on it.
 */
const KPI_COLUMNS = [
  { key: 'discharges', label: 'col.discharges', states: [] },
  { key: 'excluded', label: 'col.excluded', states: ['excluded'] },
  { key: 'sent', label: 'col.sent', states: ['on-time', 'late'], sentClockOnly: true },
  { key: 'onTime', label: 'col.onTime', states: ['on-time'] },
  { key: 'late', label: 'col.late', states: ['late'] },
  { key: 'pending', label: 'col.pending', states: ['pending', 'at-risk'] },
  { key: 'overdue', label: 'col.overdue', states: ['overdue'] },
  { key: 'share', label: 'col.share', states: MEASURED, share: true },
  { key: 'withinThreeWorkingDays', label: 'col.within3', states: ['on-time', 'late'], withinThree: true, sentClockOnly: true },
  { key: 'shareWithinThree', label: 'col.shareWithin3', states: MEASURED, share: true },
];

const GROUP_HEADINGS = { month: 'col.month', hospital: 'col.hospital', department: 'col.department' };

const state = {
  /** The period and type the figures on the page were read for: { from, to, documentType } (months). */
  query: undefined,
  kpi: { month: undefined, hospital: undefined, department: undefined },
  overdue: undefined,
  drill: undefined,
  timeline: undefined,
};

let chart;

// ───────────────────────────── queries ─────────────────────────────

function filterParams(q, extra = {}) {
  const p = new URLSearchParams();
  if (q.from) p.set('from', q.from);
  if (q.to) p.set('to', q.to);
  if (q.documentType) p.set('documentType', q.documentType);
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) p.set(k, v);
  return p;
}

/** A `next` link as a path on this origin (the server writes its public base URL into it). */
function relative(link) {
  const u = new URL(link, document.baseURI);
  return `${u.pathname}${u.search}`;
}

// ───────────────────────────── loading ─────────────────────────────

async function loadAll() {
  clearError();
  const q = { from: byId('from').value, to: byId('to').value, documentType: byId('document-type').value };
  try {
    const month = await apiJson(`/api/timeliness/kpi?${filterParams(q, { groupBy: 'month' }).toString()}`);
    // An empty picker takes the server's default period (twelve months up to now, on its clock).
    if (!q.from) q.from = month.from.slice(0, 7);
    if (!q.to) q.to = month.to.slice(0, 7);
    byId('from').value = q.from;
    byId('to').value = q.to;
    const [hospital, department, overdue] = await Promise.all([
      apiJson(`/api/timeliness/kpi?${filterParams(q, { groupBy: 'hospital' }).toString()}`),
      apiJson(`/api/timeliness/kpi?${filterParams(q, { groupBy: 'department' }).toString()}`),
      apiJson('/api/timeliness/overdue'),
    ]);
    state.query = q;
    state.kpi = { month, hospital, department };
    state.overdue = overdue;
    renderAll();
  } catch (err) {
    showError(err);
  }
}

async function reloadOverdue() {
  clearError();
  try {
    state.overdue = await apiJson('/api/timeliness/overdue');
    renderOverdue();
  } catch (err) {
    showError(err);
  }
}

// ───────────────────────────── labels of groups ─────────────────────────────

function groupLabel(groupBy, g) {
  if (groupBy === 'month') return monthName(g.key);
  if (g.key === 'unknown') return t('unknownDepartment');
  return g.label;
}

/** A hospital's or department's name from the breakdowns on the page, else its SOR code. */
function unitName(groupBy, sor) {
  if (sor === null || sor === undefined) return t('unknownDepartment');
  const g = state.kpi[groupBy]?.groups.find((x) => x.key === sor);
  return g ? groupLabel(groupBy, g) : sor;
}

const shortId = (ref) => {
  const id = String(ref).split('/').pop() ?? '';
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
};

// ───────────────────────────── the indicator ─────────────────────────────

function drillable(groupBy, g, col, answer) {
  if (col.sentClockOnly && answer.clock !== 'sent') return false;
  if (groupBy === 'department' && g.key === 'unknown') return false; // the API filters on a SOR code only
  return col.share ? g[col.key] !== null : g[col.key] > 0;
}

function drillSpec(groupBy, g, col) {
  const q = state.query;
  const filter = { from: q.from, to: q.to, documentType: q.documentType };
  if (groupBy === 'month') {
    filter.from = g.key;
    filter.to = g.key;
  }
  if (groupBy === 'hospital') filter.hospital = g.key;
  if (groupBy === 'department') filter.department = g.key;
  return { groupBy, group: g, column: col, filter, states: col.states, withinThree: col.withinThree === true };
}

function renderKpiTable(table, groupBy, answer) {
  const head = el('tr', {}, el('th', { scope: 'col', text: t(GROUP_HEADINGS[groupBy]) }), KPI_COLUMNS.map((c) => el('th', { scope: 'col', text: t(c.label) })));
  const rows = answer.groups.map((g) =>
    el(
      'tr',
      { dataset: { key: g.key } },
      el('th', { scope: 'row', title: g.key }, groupLabel(groupBy, g), groupBy !== 'month' && g.label !== g.key ? el('span', { className: 'sor', text: g.key }) : undefined),
      KPI_COLUMNS.map((col) => {
        const text = col.share ? fmtShare(g[col.key]) : fmtInt(g[col.key]);
        const content = drillable(groupBy, g, col, answer)
          ? el('button', { type: 'button', className: 'num', text, onclick: () => openDrill(drillSpec(groupBy, g, col)) })
          : text;
        return el('td', { dataset: { col: col.key } }, content);
      }),
    ),
  );
  table.replaceChildren(el('thead', {}, head), el('tbody', {}, rows));
}

/** Draws the target across the whole plot (a line dataset would vanish with a single month). */
const targetLine = {
  id: 'targetLine',
  afterDatasetsDraw(c, _args, options) {
    if (typeof options.value !== 'number') return;
    const y = c.scales.y.getPixelForValue(options.value * 100);
    const { ctx, chartArea } = c;
    ctx.save();
    ctx.strokeStyle = '#b03a2e';
    ctx.lineWidth = 2;
    ctx.setLineDash([6, 4]);
    ctx.beginPath();
    ctx.moveTo(chartArea.left, y);
    ctx.lineTo(chartArea.right, y);
    ctx.stroke();
    ctx.restore();
  },
};

function renderChart() {
  const answer = state.kpi.month;
  const groups = answer.groups;
  const labels = groups.map((g) => monthName(g.key));
  const shares = groups.map((g) => (g.share === null ? null : g.share * 100));
  const shareColumn = KPI_COLUMNS.find((c) => c.key === 'share');
  if (chart === undefined) {
    chart = new Chart(byId('trend-chart'), {
      type: 'bar',
      data: { labels, datasets: [{ label: t('trend.share'), data: shares, backgroundColor: '#2f6f9f' }] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { y: { min: 0, max: 100, ticks: { callback: (v) => `${String(v)} %` } } },
        plugins: {
          legend: { position: 'bottom' },
          targetLine: { value: answer.target },
          tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label ?? ''}: ${fmtShare(ctx.parsed.y / 100)}` } },
        },
        onClick: (_event, elements) => {
          const g = state.kpi.month.groups[elements[0]?.index ?? -1];
          if (g && g.share !== null) openDrill(drillSpec('month', g, shareColumn));
        },
      },
      plugins: [targetLine],
    });
  } else {
    // Updated in place: destroying a chart writes a style attribute back, which the CSP forbids.
    chart.data.labels = labels;
    chart.data.datasets[0].data = shares;
    chart.data.datasets[0].label = t('trend.share');
    chart.options.plugins.targetLine.value = answer.target;
    chart.update();
  }
  byId('target-note').textContent = t('trend.targetNote', { target: fmtShare(answer.target) });
}

function renderMeta() {
  const k = state.kpi.month;
  byId('kpi-meta').textContent = t('kpi.meta', {
    target: fmtShare(k.target),
    rule: k.rule,
    calendar: k.calendar,
    clock: labelOr('clock', k.clock),
    asOf: t('common.asOf', { at: fmtDateTime(k.at) }),
  });
}

// ───────────────────────────── the worklist ─────────────────────────────

function documentCell(ref) {
  if (ref === null || ref === undefined) return el('td', { dataset: { col: 'document' } }, t('common.none'));
  return el('td', { dataset: { col: 'document' } }, el('button', { type: 'button', className: 'document', dataset: { document: ref }, title: ref, text: shortId(ref), onclick: () => openTimeline(ref) }));
}

function stateText(item) {
  const base = labelOr('state', item.state);
  return item.exclusionReason ? `${base} (${labelOr('exclusion', item.exclusionReason)})` : base;
}

function renderOverdue() {
  const answer = state.overdue;
  const table = byId('overdue-table');
  byId('overdue-meta').textContent = `${t('common.asOf', { at: fmtDateTime(answer.at) })}${answer.truncated ? ` · ${t('overdue.truncated')}` : ''}`;
  if (answer.items.length === 0) {
    table.replaceChildren(el('tbody', {}, el('tr', {}, el('td', { text: t('overdue.empty') }))));
    return;
  }
  const now = Date.parse(answer.at);
  const cols = ['col.state', 'col.patient', 'col.hospital', 'col.department', 'col.documentType', 'col.dischargedAt', 'col.dueAt', 'col.timeOverdue', 'col.document'];
  const rows = answer.items.map((i) => {
    const due = Date.parse(i.dueAt);
    const late = i.state === 'overdue' ? fmtDuration(now - due) : t('overdue.dueIn', { time: fmtDuration(due - now) });
    return el(
      'tr',
      { dataset: { id: i.id, state: i.state } },
      el('td', { dataset: { col: 'state' }, className: `state ${i.state}`, text: stateText(i) }),
      el('td', { dataset: { col: 'patient', patient: i.patient }, title: i.patient, text: shortId(i.patient) }),
      el('td', { dataset: { col: 'hospital' }, title: i.hospital, text: unitName('hospital', i.hospital) }),
      el('td', { dataset: { col: 'department' }, title: i.department ?? '', text: unitName('department', i.department) }),
      el('td', { dataset: { col: 'documentType' }, text: labelOr('docType', i.documentType) }),
      el('td', { dataset: { col: 'dischargedAt' }, text: fmtDateTime(i.dischargedAt) }),
      el('td', { dataset: { col: 'dueAt' }, text: fmtDateTime(i.dueAt) }),
      el('td', { dataset: { col: 'timeOverdue' }, text: late }),
      documentCell(i.documentReference),
    );
  });
  table.replaceChildren(el('thead', {}, el('tr', {}, cols.map((c) => el('th', { scope: 'col', text: t(c) })))), el('tbody', {}, rows));
}

// ───────────────────────────── drill-down ─────────────────────────────

function drillParams(spec, stateFilter, extra = {}) {
  return filterParams(spec.filter, { hospital: spec.filter.hospital, department: spec.filter.department, state: stateFilter, ...extra });
}

async function fetchDrill(spec) {
  const items = [];
  let truncated = false;
  for (const s of spec.states.length > 0 ? spec.states : [undefined]) {
    let path = `/api/timeliness/discharges?${drillParams(spec, s, { _count: String(DRILL_PAGE) }).toString()}`;
    while (path !== undefined && !truncated) {
      const page = await apiJson(path);
      items.push(...page.items);
      path = page.next === undefined ? undefined : relative(page.next);
      if (items.length >= MAX_DRILL_ROWS && path !== undefined) truncated = true;
    }
  }
  const kept = spec.withinThree ? items.filter((i) => i.withinThreeWorkingDays === true) : items;
  kept.sort((a, b) => Date.parse(a.dischargedAt) - Date.parse(b.dischargedAt) || (a.id < b.id ? -1 : 1));
  return { items: kept.slice(0, MAX_DRILL_ROWS), truncated: truncated || kept.length > MAX_DRILL_ROWS };
}

async function openDrill(spec) {
  clearError();
  state.drill = { spec, items: undefined, truncated: false };
  const section = byId('drilldown');
  section.hidden = false;
  renderDrill();
  section.scrollIntoView({ block: 'start' });
  try {
    const { items, truncated } = await fetchDrill(spec);
    if (state.drill?.spec !== spec) return; // another number was clicked meanwhile
    state.drill = { spec, items, truncated };
    renderDrill();
  } catch (err) {
    showError(err);
  }
}

function renderDrill() {
  const d = state.drill;
  if (d === undefined) return;
  const { spec } = d;
  const period = spec.groupBy === 'month' ? monthName(spec.group.key) : t('drill.period', { from: monthName(spec.filter.from), to: monthName(spec.filter.to) });
  const group = spec.groupBy === 'month' ? period : `${groupLabel(spec.groupBy, spec.group)}, ${period}`;
  const type = spec.filter.documentType ? labelOr('docType', spec.filter.documentType) : t('period.allTypes');
  byId('drilldown-title').textContent = `${t('drill.of', { group, what: t(spec.column.label) })} · ${type}`;
  const table = byId('drilldown-table');
  const count = byId('drilldown-count');
  if (d.items === undefined) {
    count.textContent = t('common.loading');
    table.replaceChildren();
    return;
  }
  count.textContent = d.truncated ? t('drill.truncated', { count: fmtInt(d.items.length) }) : tCount('drill.count', d.items.length);
  if (d.items.length === 0) {
    table.replaceChildren(el('tbody', {}, el('tr', {}, el('td', { text: t('drill.empty') }))));
    return;
  }
  const cols = ['col.state', 'col.patient', 'col.hospital', 'col.department', 'col.documentType', 'col.dischargedAt', 'col.dueAt', 'col.sentAt', 'col.deliveredAt', 'col.workingDays', 'col.document'];
  const rows = d.items.map((i) =>
    el(
      'tr',
      { dataset: { id: i.id, state: i.state } },
      el('td', { dataset: { col: 'state' }, className: `state ${i.state}`, text: stateText(i) }),
      el('td', { dataset: { col: 'patient', patient: i.patient }, title: i.patient, text: shortId(i.patient) }),
      el('td', { dataset: { col: 'hospital' }, title: i.hospital, text: unitName('hospital', i.hospital) }),
      el('td', { dataset: { col: 'department' }, title: i.department ?? '', text: unitName('department', i.department) }),
      el('td', { dataset: { col: 'documentType' }, text: labelOr('docType', i.documentType) }),
      el('td', { dataset: { col: 'dischargedAt' }, text: fmtDateTime(i.dischargedAt) }),
      el('td', { dataset: { col: 'dueAt' }, text: fmtDateTime(i.dueAt) }),
      el('td', { dataset: { col: 'sentAt' }, text: fmtDateTime(i.sentAt) }),
      el('td', { dataset: { col: 'deliveredAt' }, text: fmtDateTime(i.deliveredAt) }),
      el('td', { dataset: { col: 'workingDays' }, className: 'n', text: fmtInt(i.workingDaysElapsed) }),
      documentCell(i.documentReference),
    ),
  );
  table.replaceChildren(el('thead', {}, el('tr', {}, cols.map((c) => el('th', { scope: 'col', text: t(c) })))), el('tbody', {}, rows));
}

/**
 * The drill-down's rows as the API exports them. A number made of several states (e.g. pending
 * and at risk) is the API's CSV of each state, one header; the three-working-day count keeps the
 * rows the API marks so (the export's fields hold no commas: ids, codes and times).
 */
async function downloadDrillCsv() {
  const spec = state.drill?.spec;
  if (spec === undefined) return;
  if (spec.states.length <= 1 && !spec.withinThree) {
    await downloadCsv(`/api/timeliness/discharges?${drillParams(spec, spec.states[0], { format: 'csv' }).toString()}`, 'timeliness-discharges.csv');
    return;
  }
  let header;
  const lines = [];
  for (const s of spec.states) {
    const text = await (await apiFetch(`/api/timeliness/discharges?${drillParams(spec, s, { format: 'csv' }).toString()}`, { accept: 'text/csv' })).text();
    const [first, ...rest] = text.split('\r\n').filter((l) => l !== '');
    header ??= first;
    lines.push(...rest);
  }
  const column = (header ?? '').split(',').indexOf('withinThreeWorkingDays');
  const kept = spec.withinThree ? lines.filter((l) => l.split(',')[column] === 'true') : lines;
  saveText([header ?? '', ...kept].map((l) => `${l}\r\n`).join(''), 'timeliness-discharges.csv');
}

// ───────────────────────────── delivery timeline ─────────────────────────────

async function openTimeline(ref) {
  clearError();
  const id = String(ref).split('/').pop() ?? '';
  state.timeline = { ref, id, data: undefined, error: undefined };
  const section = byId('timeline');
  section.hidden = false;
  renderTimeline();
  section.scrollIntoView({ block: 'start' });
  try {
    const data = await apiJson(`/api/deliveries?document=${encodeURIComponent(id)}`);
    if (state.timeline?.ref === ref) state.timeline = { ref, id, data, error: undefined };
  } catch (err) {
    if (state.timeline?.ref !== ref) return;
    state.timeline = { ref, id, data: undefined, error: err };
    showError(err);
  }
  renderTimeline();
}

function renderTimeline() {
  const tl = state.timeline;
  if (tl === undefined) return;
  const body = byId('timeline-body');
  const parts = [el('p', { className: 'meta', text: t('timeline.document', { id: tl.id }) })];
  if (tl.data === undefined) {
    if (tl.error === undefined) parts.push(el('p', { text: t('common.loading') }));
    body.replaceChildren(...parts);
    return;
  }
  const { received, deliveries } = tl.data;
  if (received) parts.push(el('p', { id: 'timeline-received', text: t('timeline.received', { at: fmtDateTime(received.receivedAt), sender: received.senderSor, status: received.status }) }));
  if (deliveries.length === 0) parts.push(el('p', { text: t('timeline.noDeliveries') }));
  for (const d of deliveries) {
    parts.push(
      el(
        'div',
        { className: 'delivery', dataset: { delivery: d.id, status: d.status } },
        el('h3', { text: d.recipient ? t('timeline.recipient', { sor: d.recipient.sor }) : t('timeline.noRecipient') }),
        el('p', { className: 'meta', text: t('timeline.basis', { basis: d.basis }) }),
        el('p', { className: 'meta', text: t('timeline.summary', { status: labelOr('dstatus', d.status), attempts: fmtInt(d.attempts) }) }),
        d.reason ? el('p', { className: 'meta', text: t('timeline.reason', { reason: d.reason }) }) : undefined,
        el(
          'ol',
          { className: 'steps' },
          d.timeline.map((s) => el('li', { dataset: { status: s.status, at: s.at } }, el('time', { datetime: s.at, text: fmtDateTime(s.at) }), ' ', labelOr('step', s.status))),
        ),
      ),
    );
  }
  body.replaceChildren(...parts);
}

// ───────────────────────────── the page ─────────────────────────────

function renderAll() {
  if (state.kpi.month === undefined) return;
  renderMeta();
  renderChart();
  renderKpiTable(byId('month-table'), 'month', state.kpi.month);
  renderKpiTable(byId('hospital-table'), 'hospital', state.kpi.hospital);
  renderKpiTable(byId('department-table'), 'department', state.kpi.department);
  renderOverdue();
  renderDrill();
  renderTimeline();
}

const kpiCsv = (groupBy) => async () => {
  if (state.query === undefined) return;
  try {
    await downloadCsv(`/api/timeliness/kpi?${filterParams(state.query, { groupBy, format: 'csv' }).toString()}`, `timeliness-kpi-${groupBy}.csv`);
  } catch (err) {
    showError(err);
  }
};

byId('period').addEventListener('submit', (event) => {
  event.preventDefault();
  void loadAll();
});
byId('csv-month').addEventListener('click', kpiCsv('month'));
byId('csv-hospital').addEventListener('click', kpiCsv('hospital'));
byId('csv-department').addEventListener('click', kpiCsv('department'));
byId('csv-drilldown').addEventListener('click', () => {
  downloadDrillCsv().catch(showError);
});
byId('close-drilldown').addEventListener('click', () => {
  state.drill = undefined;
  byId('drilldown').hidden = true;
});
byId('close-timeline').addEventListener('click', () => {
  state.timeline = undefined;
  byId('timeline').hidden = true;
});
byId('refresh-overdue').addEventListener('click', () => {
  void reloadOverdue();
});
onLanguageChange(renderAll);
startPage({ onSignedIn: () => void loadAll() });
