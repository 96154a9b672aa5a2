import { offsetMinutesAt, toLocalDateTime } from '../shared/time.ts';

const escapeXhtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A generated narrative: MedCom requires `text` on every resource but the Bundle, showing the id,
 * the references and the must-support elements, never base64 (medcom.md §2.5).
 */
export function generatedNarrative(title: string, rows: readonly (readonly [string, string | undefined])[]): fhir4.Narrative {
  const body = rows
    .filter((row): row is readonly [string, string] => row[1] !== undefined && row[1] !== '')
    .map(([label, value]) => `<p><b>${escapeXhtml(label)}</b>: ${escapeXhtml(value)}</p>`)
    .join('');
  return { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml"><p><b>${escapeXhtml(title)}</b></p>${body}</div>` };
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** A FHIR dateTime in Copenhagen wall-clock time with its offset (`2024-12-05T11:09:20+01:00`), as MedCom writes them. */
export function formatDateTime(instant: Date): string {
  const l = toLocalDateTime(instant);
  const offset = offsetMinutesAt(instant);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return (
    `${pad(l.year, 4)}-${pad(l.month)}-${pad(l.day)}T${pad(l.hour)}:${pad(l.minute)}:${pad(l.second)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}
