/** OperationOutcome building blocks (FHIR R4 `OperationOutcome.issue`). */
export type IssueSeverity = 'fatal' | 'error' | 'warning' | 'information';

/** The subset of http://hl7.org/fhir/issue-type that Sektorbro emits. */
export type IssueCode =
  | 'invalid'
  | 'structure'
  | 'required'
  | 'value'
  | 'invariant'
  | 'security'
  | 'login'
  | 'forbidden'
  | 'processing'
  | 'not-supported'
  | 'duplicate'
  | 'not-found'
  | 'deleted'
  | 'too-long'
  | 'conflict'
  | 'business-rule'
  | 'throttled'
  | 'exception'
  | 'informational';

export interface Issue {
  severity: IssueSeverity;
  code: IssueCode;
  diagnostics: string;
  /** FHIRPath expressions pointing at the offending element. */
  expression?: string[];
}

export function toOperationOutcome(issues: readonly Issue[]): fhir4.OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: issues.map((i) => ({
      severity: i.severity,
      code: i.code,
      diagnostics: i.diagnostics,
      ...(i.expression && i.expression.length > 0 ? { expression: [...i.expression] } : {}),
    })),
  };
}

export const hasErrors = (issues: readonly Issue[]): boolean =>
  issues.some((i) => i.severity === 'error' || i.severity === 'fatal');
