import type { Request } from 'express';
import { badRequest } from '../shared/index.ts';
import type { Page, StoredResource } from '../store/index.ts';

/** Search and history Bundles, their paging links, and the query parameters they carry. */

export function queryEntries(req: Request): [string, string][] {
  const q = req.originalUrl.indexOf('?');
  return q < 0 ? [] : [...new URLSearchParams(req.originalUrl.slice(q + 1)).entries()];
}

export function encodeParams(params: [string, string][]): string {
  return new URLSearchParams(params).toString();
}

export function pagingParams(params: [string, string][], defaultCount: number, maxCount: number): { count: number; cursor: string | undefined } {
  let count = defaultCount;
  let cursor: string | undefined;
  for (const [k, v] of params) {
    if (k === '_count') {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > maxCount) throw badRequest(`_count must be an integer from 1 to ${maxCount}`, ['_count'], 'value');
      count = n;
    } else if (k === '_cursor') cursor = v;
    else if (k === '_since' || k === '_at') throw badRequest(`${k} is not supported on history`, [k], 'not-supported');
    else throw badRequest(`Unknown parameter ${k}; history takes _count`, [k], 'not-supported');
  }
  return { count, cursor };
}

export function parseAuditQuery(params: [string, string][], defaultCount: number, maxCount: number) {
  const q: { since?: Date; until?: Date; clientId?: string; entity?: string; count: number; cursor?: string } = { count: defaultCount };
  for (const [k, v] of params) {
    if (k === 'date') {
      const m = /^(ge|le|gt|lt)?(.+)$/.exec(v);
      const d = new Date(m?.[2] ?? '');
      if (!m || Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1 || d.getUTCFullYear() > 9999) {
        throw badRequest('date must be a dateTime within the years 0001-9999, with an optional ge/le prefix', ['date'], 'value');
      }
      if (m[1] === 'le' || m[1] === 'lt') q.until = d;
      else q.since = d;
    } else if (k === 'agent') q.clientId = v;
    else if (k === 'entity') q.entity = v;
    else if (k === '_count' || k === '_cursor') Object.assign(q, pagingParams([[k, v]], defaultCount, maxCount), k === '_count' ? {} : { count: q.count });
    else throw badRequest(`Unknown AuditEvent search parameter ${k}; supported: date, agent, entity, _count`, [k], 'not-supported');
  }
  return q;
}

export function pageLinks(selfBase: string, params: [string, string][], next: string | undefined): fhir4.BundleLink[] {
  const self = params.filter(([k]) => k !== '_cursor');
  const links: fhir4.BundleLink[] = [{ relation: 'self', url: withQuery(selfBase, params) }];
  if (next) links.push({ relation: 'next', url: withQuery(selfBase, [...self, ['_cursor', next]]) });
  return links;
}

export const withQuery = (url: string, params: [string, string][]): string => (params.length > 0 ? `${url}?${encodeParams(params)}` : url);

export function searchBundle(page: Page<StoredResource>, selfBase: string, params: [string, string][]): fhir4.Bundle {
  const fhirBase = selfBase.slice(0, selfBase.lastIndexOf('/'));
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(page.total === undefined ? {} : { total: page.total }),
    link: pageLinks(selfBase, params, page.next),
    entry: page.items.map((s) => ({
      fullUrl: `${fhirBase}/${s.type}/${s.id}`,
      resource: s.resource as fhir4.FhirResource,
      search: { mode: 'match' as const },
    })),
  };
}

export function historyBundle(page: Page<StoredResource>, base: string, selfBase: string, params: [string, string][]): fhir4.Bundle {
  return {
    resourceType: 'Bundle',
    type: 'history',
    link: pageLinks(selfBase, params, page.next),
    entry: page.items.map((s) => ({
      fullUrl: `${base}/${s.type}/${s.id}`,
      ...(s.resource ? { resource: s.resource as fhir4.FhirResource } : {}),
      request: {
        method: s.deleted ? ('DELETE' as const) : s.versionId === 1 ? ('POST' as const) : ('PUT' as const),
        url: s.versionId === 1 && !s.deleted ? s.type : `${s.type}/${s.id}`,
      },
      response: {
        status: s.deleted ? '204' : s.versionId === 1 ? '201' : '200',
        etag: `W/"${s.versionId}"`,
        lastModified: s.lastUpdated.toISOString(),
      },
    })),
  };
}

