import type { Issue } from '../shared/index.ts';
import { childExpression } from './expression.ts';

/**
 * FHIR JSON has no empty values: "arrays SHALL not be empty" and an element without a value or
 * children breaks ele-1 (https://hl7.org/fhir/R4/json.html). Neither the R4 JSON schema nor
 * Medplum refuses `given: []` or `telecom: [{}]`, so a sender's half-filled template would be
 * stored as if it said something. (`null` in arrays is the R4 schema's matter, checked before.)
 */
export function checkEmptyValues(resource: Readonly<Record<string, unknown>>, resourceType: string): Issue[] {
  const issues: Issue[] = [];
  walk(resource, resourceType, issues);
  return issues;
}

function walk(obj: Readonly<Record<string, unknown>>, path: string, issues: Issue[]): void {
  for (const [key, value] of Object.entries(obj)) {
    const at = childExpression(path, key);
    if (Array.isArray(value)) {
      if (value.length === 0) {
        issues.push({ severity: 'error', code: 'structure', diagnostics: 'an empty array: FHIR JSON leaves an element out instead', expression: [at] });
        continue;
      }
      value.forEach((item: unknown, i) => {
        visit(item, `${at}[${String(i)}]`, issues);
      });
    } else {
      visit(value, at, issues);
    }
  }
}

function visit(value: unknown, path: string, issues: Issue[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return;
  }
  const obj = value as Readonly<Record<string, unknown>>;
  if (Object.keys(obj).length === 0) {
    issues.push({ severity: 'error', code: 'structure', diagnostics: 'ele-1: an empty object; an element must have a value or children', expression: [path] });
    return;
  }
  walk(obj, path, issues);
}
