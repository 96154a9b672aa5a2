import type { Issue, IssueCode, IssueSeverity } from '../shared/index.ts';

/**
 * Collects issues while a message is read; every issue points into the Bundle with a FHIRPath
 * expression. Diagnostics name codes and element names only, never identifiers or free text.
 */
export class IssueList {
  readonly items: Issue[] = [];

  add(severity: IssueSeverity, code: IssueCode, diagnostics: string, expression: string): void {
    this.items.push({ severity, code, diagnostics, expression: [expression] });
  }

  error(code: IssueCode, diagnostics: string, expression: string): void {
    this.add('error', code, diagnostics, expression);
  }

  warning(code: IssueCode, diagnostics: string, expression: string): void {
    this.add('warning', code, diagnostics, expression);
  }

  hasErrors(): boolean {
    return this.items.some((i) => i.severity === 'error' || i.severity === 'fatal');
  }

  has(expression: string): boolean {
    return this.items.some((i) => i.expression?.includes(expression) === true);
  }
}

const PRINTABLE_CODE = /^[\x21-\x7e]{1,120}$/;

/**
 * A coded value quoted for a diagnostic. Only short printable codes are quoted, so an issue can
 * name the event or activity code it saw without ever echoing free text.
 */
export const quoteCode = (value: unknown): string =>
  typeof value === 'string' && PRINTABLE_CODE.test(value) ? `'${value}'` : 'an unreadable value';
