import { badRequest } from '../shared/index.ts';

/**
 * Keyset-paging cursors: opaque to clients (base64url), holding the `seq` of the last row served.
 * Newest-first pages continue with `seq < cursor`, so rows written meanwhile never shift a page.
 */
export function encodeCursor(seq: number): string {
  return Buffer.from(`s${seq}`, 'utf8').toString('base64url');
}

/** The `seq` inside a cursor; a 400 naming `_cursor` when it is not one we issued. */
export function decodeCursor(cursor: string): number {
  const m = /^s(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m?.[1]) throw badRequest('_cursor is not a cursor this server issued', ['_cursor'], 'value');
  return Number(m[1]);
}

/**
 * Search cursors hold the last id served: search pages run in id order, which an update does not
 * change, so a resource updated while a client pages through is neither skipped nor served twice.
 */
export function encodeIdCursor(id: string): string {
  return Buffer.from(`i${id}`, 'utf8').toString('base64url');
}

export function decodeIdCursor(cursor: string): string {
  const m = /^i([A-Za-z0-9\-.]{1,64})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m?.[1]) throw badRequest('_cursor is not a cursor this server issued', ['_cursor'], 'value');
  return m[1];
}

/** Collects SQL parameters so values are always bound, never spliced into the text. */
export class SqlParams {
  readonly values: unknown[] = [];

  /** Binds a value and returns its placeholder (`$n`). */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}
