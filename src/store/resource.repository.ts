import { randomUUID } from 'node:crypto';
import { badRequest, FHIR_ID, notFound, preconditionFailed } from '../shared/index.ts';
import type { AnyResource, Clock } from '../shared/index.ts';
import { decodeCursor, decodeIdCursor, encodeCursor, encodeIdCursor, SqlParams } from './cursor.ts';
import type {
  AccessFilter,
  Db,
  DatePrefix,
  Page,
  ResourceRepository,
  SearchCriterion,
  SearchQuery,
  StoredResource,
  WriteContext,
} from './ports.ts';
import { registryMayHaveChanged } from './registry.ts';
import { extractIndexRows } from './search-index.ts';
import { isStoredType, STORED_TYPES } from './search-parameters.ts';

interface ResourceRow {
  resource_type: string;
  id: string;
  version_id: number;
  seq: number | string | bigint;
  last_updated: Date;
  deleted: boolean;
  content: AnyResource | null;
  grants: string[] | null;
}

/** Columns of `resources` / `resource_versions` (aliased `r`) plus the resource's current grants. */
const COLUMNS = `r.resource_type, r.id, r.version_id, r.seq, r.last_updated, r.deleted, r.content,
  ARRAY(SELECT a.org FROM resource_access a WHERE a.resource_type = r.resource_type AND a.id = r.id ORDER BY a.org) AS grants`;

/**
 * The resource store over `Db`. Pass a transaction-bound `Db` to make its writes part of a larger
 * transaction; each write runs in a (possibly nested, then reused) transaction of its own, so the
 * version, the search index and the grants are always written together.
 */
export function createResourceRepository(db: Db, clock: Clock): ResourceRepository {
  return {
    async create(resource, ctx) {
      const type = assertStoredType(resource.resourceType);
      const result = await writeVersion(db, clock, 'create', type, randomUUID(), resource, ctx);
      if (!result.written) throw new Error(`${type}: a create wrote nothing`); // the function always writes a create
      return result.stored;
    },

    async update(resource, ctx) {
      const type = assertStoredType(resource.resourceType);
      const id = resource.id;
      if (!FHIR_ID.test(id)) throw badRequest('Resource id must be 1-64 characters from [A-Za-z0-9-.]', [`${type}.id`]);
      const result = await writeVersion(db, clock, 'update', type, id, resource, ctx);
      if (!result.written) {
        throw result.currentVersion === undefined
          ? preconditionFailed(`If-Match given, but ${type}/${id} does not exist`)
          : preconditionFailed(`If-Match version ${String(ctx.ifMatch)} is not the current version (${String(result.currentVersion)}) of ${type}/${id}`);
      }
      return { stored: result.stored, created: result.created };
    },

    async delete(type, id, ctx) {
      if (!isStoredType(type) || !FHIR_ID.test(id)) return undefined;
      const result = await writeVersion(db, clock, 'delete', type, id, undefined, { ...ctx, ifMatch: undefined });
      return result.written ? result.stored : undefined;
    },

    async read(type, id) {
      const { rows } = await db.query<ResourceRow>(
        `SELECT ${COLUMNS} FROM resources r WHERE r.resource_type = $1 AND r.id = $2`,
        [type, id],
      );
      return rows[0] && toStored(rows[0]);
    },

    async readMany(keys) {
      const found = new Map<string, StoredResource>();
      if (keys.length === 0) return found;
      const { rows } = await db.query<ResourceRow>(
        `SELECT ${COLUMNS} FROM resources r JOIN unnest($1::text[], $2::text[]) AS k(resource_type, id)
           ON r.resource_type = k.resource_type AND r.id = k.id`,
        [keys.map((k) => k.type), keys.map((k) => k.id)],
      );
      for (const row of rows) found.set(`${row.resource_type}/${row.id}`, toStored(row));
      return found;
    },

    async readForUpdate(type, id) {
      // pg_advisory_xact_lock is re-entrant: the update that follows takes the same lock again. Keys carry the
      // schema: two deployments (or test files) in one database must not wait on, or deadlock with, each other.
      await db.query("SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':' || $1, 0))", [`resource:${type}/${id}`]);
      const { rows } = await db.query<ResourceRow>(`SELECT ${COLUMNS} FROM resources r WHERE r.resource_type = $1 AND r.id = $2`, [type, id]);
      return rows[0] && toStored(rows[0]);
    },

    async vread(type, id, versionId) {
      if (!Number.isSafeInteger(versionId)) return undefined;
      const { rows } = await db.query<ResourceRow>(
        `SELECT ${COLUMNS} FROM resource_versions r WHERE r.resource_type = $1 AND r.id = $2 AND r.version_id = $3`,
        [type, id, versionId],
      );
      return rows[0] && toStored(rows[0]);
    },

    async history(type, id, opts) {
      const p = new SqlParams();
      const where = [`r.resource_type = ${p.add(type)}`];
      if (id !== undefined) where.push(`r.id = ${p.add(id)}`);
      const access = accessSql(opts.access, p);
      if (access) where.push(access);
      if (opts.cursor !== undefined) where.push(`r.seq < ${p.add(decodeCursor(opts.cursor))}`);
      const { rows } = await db.query<ResourceRow>(
        `SELECT ${COLUMNS} FROM resource_versions r WHERE ${where.join(' AND ')} ORDER BY r.seq DESC LIMIT ${p.add(opts.count + 1)}`,
        p.values,
      );
      return toPage(rows, opts.count);
    },

    async search(query, access) {
      return search(db, query, access);
    },

    async grant(type, id, orgs) {
      await db.transaction(async (tx) => {
        const { rows } = await tx.query('SELECT 1 FROM resources WHERE resource_type = $1 AND id = $2', [type, id]);
        if (rows.length === 0) throw notFound(`${type}/${id}`);
        await insertGrants(tx, type, id, orgs);
      });
    },
  };
}

function assertStoredType(type: string): string {
  if (!isStoredType(type)) {
    throw badRequest(`Resource type is not one Sektorbro stores; supported: ${STORED_TYPES.join(', ')}`, ['resourceType'], 'not-supported');
  }
  return type;
}

interface WriteRow {
  written: boolean;
  current_version: number | null;
  current_deleted: boolean | null;
  version_id: number | null;
  seq: number | string | bigint | null;
  grants: string[] | null;
}

type WriteOutcome =
  | { written: true; stored: StoredResource; created: boolean }
  | { written: false; currentVersion: number | undefined };

/**
 * Writes the next version (content undefined: a delete) with its search index and grants, in one
 * round trip: `write_resource_version` (migration 0008) takes the resource's advisory lock, reads
 * the current version after it and writes, or writes nothing when `ctx.ifMatch` is not current or
 * there is nothing to delete. A statement is atomic, so no transaction of its own is needed.
 */
async function writeVersion(
  db: Db,
  clock: Clock,
  mode: 'create' | 'update' | 'delete',
  type: string,
  id: string,
  resource: AnyResource | undefined,
  ctx: WriteContext & { ifMatch?: number | undefined },
): Promise<WriteOutcome> {
  if (type === 'Organization') registryMayHaveChanged();
  const now = clock.now();
  // versionId is set by the function once it knows the current version; '0' only holds the key's place.
  const content = resource && withMeta(resource, type, id, 0, now);
  const indexRows = content ? extractIndexRows(content) : [];
  const { rows } = await db.query<WriteRow>(
    `SELECT written, current_version, current_deleted, version_id, seq, grants
     FROM write_resource_version($1, $2, $3, $4::integer, $5::jsonb, $6::timestamptz, $7::jsonb, $8::text[])`,
    [mode, type, id, ctx.ifMatch ?? null, content === undefined ? null : JSON.stringify(content), now.toISOString(),
      indexRows.length > 0 ? JSON.stringify(indexRows) : null, [ctx.writerOrg, ...ctx.grantOrgs]],
  );
  const row = rows[0];
  if (!row?.written || row.version_id === null) return { written: false, currentVersion: row?.current_version ?? undefined };
  const versionId = row.version_id;
  if (content) (content.meta as { versionId: string }).versionId = String(versionId);
  return {
    written: true,
    created: row.current_version === null || row.current_deleted === true,
    stored: { type, id, versionId, lastUpdated: now, deleted: content === undefined, resource: content, grants: row.grants ?? [] },
  };
}

/** Adds read grants (they accumulate; nothing is ever dropped) and returns the full, sorted set. */
async function insertGrants(tx: Db, type: string, id: string, orgs: readonly string[]): Promise<string[]> {
  const wanted = [...new Set(orgs.filter((o) => o !== ''))];
  if (wanted.length > 0) {
    await tx.query(
      `INSERT INTO resource_access (resource_type, id, org) SELECT $1, $2, unnest($3::text[])
       ON CONFLICT (resource_type, id, org) DO NOTHING`,
      [type, id, wanted],
    );
  }
  const { rows } = await tx.query<{ org: string }>(
    'SELECT org FROM resource_access WHERE resource_type = $1 AND id = $2 ORDER BY org',
    [type, id],
  );
  return rows.map((r) => r.org);
}

/** The stored form: the store owns `id`, `meta.versionId` and `meta.lastUpdated`; other meta is kept. */
function withMeta(resource: AnyResource, type: string, id: string, versionId: number, now: Date): AnyResource {
  const { resourceType: _type, id: _id, meta, ...rest } = resource;
  return { resourceType: type, id, meta: { ...meta, versionId: String(versionId), lastUpdated: now.toISOString() }, ...rest };
}

/** jsonb sorts keys by length; put `resourceType`, `id` and `meta` back in front for readers. */
function toStored(row: ResourceRow): StoredResource {
  let resource: AnyResource | undefined;
  if (row.content) {
    const { resourceType, id, meta, ...rest } = row.content;
    resource = { resourceType, id, meta, ...rest };
  }
  return {
    type: row.resource_type,
    id: row.id,
    versionId: row.version_id,
    lastUpdated: row.last_updated,
    deleted: row.deleted,
    resource,
    grants: row.grants ?? [],
  };
}

function toPage(rows: ResourceRow[], count: number): Page<StoredResource> {
  const items = rows.slice(0, count);
  const last = items[items.length - 1];
  return { items: items.map(toStored), next: rows.length > count && last ? encodeCursor(Number(last.seq)) : undefined };
}

function accessSql(access: AccessFilter, p: SqlParams): string | undefined {
  if (access.kind === 'all') return undefined;
  return `EXISTS (SELECT 1 FROM resource_access a WHERE a.resource_type = r.resource_type AND a.id = r.id
    AND a.org = ANY(${p.add([...access.orgs])}::text[]))`;
}

async function search(db: Db, query: SearchQuery, access: AccessFilter): Promise<Page<StoredResource>> {
  const p = new SqlParams();
  const where = [`r.resource_type = ${p.add(query.type)}`, 'NOT r.deleted', ...query.criteria.map((c) => criterionSql(c, p))];
  const accessCondition = accessSql(access, p);
  if (accessCondition) where.push(accessCondition);
  const filterParams = [...p.values];
  const filter = where.join(' AND ');

  const paged = [filter];
  if (query.cursor !== undefined) paged.push(`r.id > ${p.add(decodeIdCursor(query.cursor))}`);
  const { rows } = await db.query<ResourceRow>(
    `SELECT ${COLUMNS} FROM resources r WHERE ${paged.join(' AND ')} ORDER BY r.id LIMIT ${p.add(query.count + 1)}`,
    p.values,
  );
  const items = rows.slice(0, query.count);
  const last = items.at(-1);
  const page: Page<StoredResource> = { items: items.map(toStored), next: rows.length > query.count && last ? encodeIdCursor(last.id) : undefined };
  if (query.total) {
    const counted = await db.query<{ total: number }>(`SELECT count(*)::int AS total FROM resources r WHERE ${filter}`, filterParams);
    page.total = counted.rows[0]?.total ?? 0;
  }
  return page;
}

/** `s` is a `search_index` row of resource `r`. */
const indexOf = (p: SqlParams, param: string): string =>
  `FROM search_index s WHERE s.resource_type = r.resource_type AND s.resource_id = r.id AND s.param = ${p.add(param)}`;

const anyOf = (conditions: string[]): string => (conditions.length === 0 ? 'FALSE' : `(${conditions.join(' OR ')})`);

function criterionSql(c: SearchCriterion, p: SqlParams): string {
  switch (c.kind) {
    case 'id':
      return `r.id = ANY(${p.add(c.values)}::text[])`;
    case 'meta-tag':
      return `r.content->'meta'->'tag' @> ${p.add(JSON.stringify([{ system: c.system, code: c.code }]))}::jsonb`;
    case 'token':
      return `EXISTS (SELECT 1 ${indexOf(p, c.param)} AND ${anyOf(c.values.map((v) => tokenSql('s', v, p)))})`;
    case 'reference':
      return `EXISTS (SELECT 1 ${indexOf(p, c.param)} AND ${anyOf(
        c.values.map((v) =>
          v.type === undefined ? `s.ref_id = ${p.add(v.id)}` : `(s.ref_type = ${p.add(v.type)} AND s.ref_id = ${p.add(v.id)})`,
        ),
      )})`;
    case 'chained-token':
      return `EXISTS (SELECT 1 ${indexOf(p, c.param)} AND s.ref_type = ${p.add(c.target)} AND s.ref_id IN (
        SELECT t.resource_id FROM search_index t WHERE t.resource_type = ${p.add(c.target)} AND t.param = ${p.add(c.targetParam)}
          AND ${anyOf(c.values.map((v) => tokenSql('t', v, p)))}))`;
    case 'date':
      return `EXISTS (SELECT 1 ${indexOf(p, c.param)} AND ${dateSql('s.date_low', 's.date_high', c.prefix, c.low, c.high, p)})`;
    case 'last-updated':
      return dateSql('r.last_updated', 'r.last_updated', c.prefix, c.low, c.high, p);
  }
}

/** `system: ''` means "explicitly no system" (`|code`); an absent system matches any. */
function tokenSql(alias: string, v: { system?: string; code?: string }, p: SqlParams): string {
  const parts: string[] = [];
  if (v.system === '') parts.push(`${alias}.system IS NULL`);
  else if (v.system !== undefined) parts.push(`${alias}.system = ${p.add(v.system)}`);
  if (v.code !== undefined) parts.push(`${alias}.code = ${p.add(v.code)}`);
  return parts.length === 0 ? 'FALSE' : `(${parts.join(' AND ')})`;
}

/**
 * FHIR date prefixes over ranges (https://hl7.org/fhir/R4/search.html#prefix): the resource's
 * [lo, hi] against the search value's [low, high], both ends inclusive.
 */
function dateSql(lo: string, hi: string, prefix: DatePrefix, low: Date, high: Date, p: SqlParams): string {
  // Bind only what the prefix uses: PostgreSQL cannot type a parameter the statement never mentions.
  const L = (): string => `${p.add(low.toISOString())}::timestamptz`;
  const H = (): string => `${p.add(high.toISOString())}::timestamptz`;
  switch (prefix) {
    case 'eq':
      return `(${lo} >= ${L()} AND ${hi} <= ${H()})`;
    case 'ne':
      return `NOT (${lo} >= ${L()} AND ${hi} <= ${H()})`;
    case 'gt':
      return `${hi} > ${H()}`;
    case 'lt':
      return `${lo} < ${L()}`;
    case 'ge':
      return `${hi} >= ${L()}`;
    case 'le':
      return `${lo} <= ${H()}`;
    case 'sa':
      return `${lo} > ${H()}`;
    case 'eb':
      return `${hi} < ${L()}`;
  }
}
