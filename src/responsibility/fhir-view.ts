import { deterministicId, SYSTEM } from '../shared/index.ts';
import { formatCopenhagen } from '../shared/time.ts';
import type { Holder, ResponsibilityPeriod } from './engine.ts';

/**
 * *Behandlingsansvar* in FHIR terms (issue #8; domain.md §4.7): from the engine's periods to one
 * EpisodeOfCare per holder and period ("each organization will have their own EpisodeOfCare which
 * tracks their responsibility", https://hl7.org/fhir/R4/episodeofcare.html), a CareTeam with the
 * holder's contact telecom, and for each department episode a CarePlan view of the follow-up.
 * Pure: the resources are derived, never clinical, and the same periods and `now` give the same
 * resources (ids included), so re-materialising is an upsert.
 */

export const RESPONSIBILITY_TYPE_SYSTEM = 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-responsibility-type';
/** Marks the resources this view writes, so they can be found again (and told from client-written ones). */
export const RESPONSIBILITY_VIEW_TAG = { system: 'http://sektorbro.dk/fhir/CodeSystem/sektorbro-tag', code: 'responsibility-view' } as const;
/** On an episode whose municipal-care fact was inferred from a document rather than sent as a flag. */
export const RESPONSIBILITY_INFERRED_EXTENSION = 'http://sektorbro.dk/fhir/StructureDefinition/responsibility-inferred';

export type ResponsibilityTypeCode = 'extended-care-responsibility' | 'general-practice';
export type EpisodeStatus = 'planned' | 'active' | 'finished';

type HeldBy = Exclude<Holder['kind'], 'none'>;

const TYPE_OF: Record<HeldBy, { code: ResponsibilityTypeCode; display: string }> = {
  'hospital-department': { code: 'extended-care-responsibility', display: 'Udvidet behandlingsansvar (extended treatment responsibility of the discharging department)' },
  'general-practitioner': { code: 'general-practice', display: "Behandlingsansvar hos egen læge (the patient's general practitioner)" },
};

export interface ResponsibilityViewInput {
  patientId: string;
  periods: readonly ResponsibilityPeriod[];
  /** Decides each resource's status; stored statuses go stale, which is what the handover poller is for. */
  now: Date;
  /** Registry Organization ids by SOR code: a holder found there is referenced beside its SOR identifier. */
  organizations?: ReadonlyMap<string, string> | undefined;
}

/** One holder's period, as FHIR resources. */
export interface ResponsibilityEpisode {
  kind: HeldBy;
  status: EpisodeStatus;
  episodeOfCare: fhir4.EpisodeOfCare & { id: string };
  careTeam: fhir4.CareTeam & { id: string };
  /** Only for a department's episode: the follow-up it implies. */
  carePlan: (fhir4.CarePlan & { id: string }) | undefined;
}

/** Deterministic: the same holder and start give the same id, whatever else changes (an extended end, a name). */
export const responsibilityEpisodeId = (patientId: string, holderSor: string | undefined, from: Date | null): string =>
  deterministicId(`EpisodeOfCare|responsibility|${patientId}|${holderSor ?? 'unknown'}|${from === null ? '' : from.toISOString()}`);

/** `active` when now ∈ [from, until), `finished` from `until` on, `planned` before `from`. */
export function episodeStatus(period: { from: Date | null; until: Date | null }, now: Date): EpisodeStatus {
  const t = now.getTime();
  if (period.from !== null && t < period.from.getTime()) return 'planned';
  if (period.until !== null && t >= period.until.getTime()) return 'finished';
  return 'active';
}

const CARE_TEAM_STATUS: Record<EpisodeStatus, 'proposed' | 'active' | 'inactive'> = { planned: 'proposed', active: 'active', finished: 'inactive' };
const CARE_PLAN_STATUS: Record<EpisodeStatus, 'draft' | 'active' | 'completed'> = { planned: 'draft', active: 'active', finished: 'completed' };
const ACTIVITY_STATUS: Record<EpisodeStatus, 'scheduled' | 'in-progress' | 'completed'> = { planned: 'scheduled', active: 'in-progress', finished: 'completed' };

const fhirPeriod = (p: { from: Date | null; until: Date | null }): fhir4.Period => ({
  ...(p.from === null ? {} : { start: formatCopenhagen(p.from) }),
  ...(p.until === null ? {} : { end: formatCopenhagen(p.until) }),
});

const typeConcept = (kind: HeldBy): fhir4.CodeableConcept => {
  const t = TYPE_OF[kind];
  return { coding: [{ system: RESPONSIBILITY_TYPE_SYSTEM, code: t.code, display: t.display }], text: t.display };
};

function organizationReference(holder: Holder, organizations: ReadonlyMap<string, string> | undefined): fhir4.Reference {
  const org = holder.organization;
  if (org === null) return { display: "the patient's general practitioner (not known to Sektorbro)" };
  const id = organizations?.get(org.sor);
  return {
    ...(id === undefined ? {} : { reference: `Organization/${id}` }),
    type: 'Organization',
    identifier: { system: SYSTEM.sor, value: org.sor },
    ...(org.name === null ? {} : { display: org.name }),
  };
}

const nameOf = (holder: Holder): string =>
  holder.organization === null ? "the patient's general practitioner (not known)" : (holder.organization.name ?? `SOR ${holder.organization.sor}`);

/** How to reach the holder, in words: the phone number first, as the registry gives it. */
function contactText(holder: Holder): string {
  const phone = holder.telecom.find((t) => t.system === 'phone' && t.value !== undefined) ?? holder.telecom.find((t) => t.value !== undefined);
  if (phone?.value === undefined) return 'no contact details on record';
  return `${phone.system ?? 'contact'} ${phone.value}`;
}

const meta = (): fhir4.Meta => ({ tag: [{ ...RESPONSIBILITY_VIEW_TAG }] });

/**
 * The EpisodeOfCare, CareTeam and (for a department) CarePlan of every period with a holder; periods
 * without one (`none`: before the first discharge, an inpatient again, after death) make nothing.
 */
export function buildResponsibilityView(input: ResponsibilityViewInput): ResponsibilityEpisode[] {
  const { patientId, periods, now, organizations } = input;
  const subject: fhir4.Reference = { reference: `Patient/${patientId}` };
  const out: ResponsibilityEpisode[] = [];
  periods.forEach((period, i) => {
    const { holder } = period;
    if (holder.kind === 'none') return;
    const kind = holder.kind;
    const id = responsibilityEpisodeId(patientId, holder.organization?.sor, period.from);
    const careTeamId = deterministicId(`CareTeam|responsibility|${id}`);
    const status = episodeStatus(period, now);
    const fp = fhirPeriod(period);
    const org = organizationReference(holder, organizations);
    const known = holder.organization !== null;

    const episodeOfCare: fhir4.EpisodeOfCare & { id: string } = {
      resourceType: 'EpisodeOfCare',
      id,
      meta: meta(),
      ...(period.inferred ? { extension: [{ url: RESPONSIBILITY_INFERRED_EXTENSION, valueBoolean: true }] } : {}),
      status,
      type: [typeConcept(kind)],
      patient: subject,
      managingOrganization: org,
      period: fp,
      team: [{ reference: `CareTeam/${careTeamId}` }],
    };
    const careTeam: fhir4.CareTeam & { id: string } = {
      resourceType: 'CareTeam',
      id: careTeamId,
      meta: meta(),
      status: CARE_TEAM_STATUS[status],
      category: [typeConcept(kind)],
      name: `Behandlingsansvar: ${nameOf(holder)}`,
      subject,
      period: fp,
      ...(known ? { participant: [{ role: [typeConcept(kind)], member: org, period: fp }], managingOrganization: [org] } : {}),
      ...(holder.telecom.length > 0 ? { telecom: holder.telecom } : {}),
    };
    const carePlan = kind === 'hospital-department' ? departmentCarePlan(id, careTeamId, period, periods[i + 1], status, now, subject, organizations) : undefined;
    out.push({ kind, status, episodeOfCare, careTeam, carePlan });
  });
  return out;
}

/**
 * The follow-up a department's window implies, as a CarePlan: contact the discharging department
 * until the window ends, then the GP. A view derived from the periods (its `supportingInfo` is the
 * episode), not a clinical plan; no `author`, which would claim someone wrote it (domain.md §4.7).
 */
function departmentCarePlan(
  episodeId: string,
  careTeamId: string,
  period: ResponsibilityPeriod,
  next: ResponsibilityPeriod | undefined,
  status: EpisodeStatus,
  now: Date,
  subject: fhir4.Reference,
  organizations: ReadonlyMap<string, string> | undefined,
): fhir4.CarePlan & { id: string } {
  const until = period.until === null ? 'further notice' : formatCopenhagen(period.until);
  const activity: fhir4.CarePlanActivity[] = [
    {
      detail: {
        status: ACTIVITY_STATUS[status],
        description: `Contact the discharging department, ${nameOf(period.holder)} (${contactText(period.holder)}), about the patient until ${until}`,
        scheduledPeriod: fhirPeriod(period),
        performer: [organizationReference(period.holder, organizations)],
      },
    },
  ];
  // Only a GP period that follows on directly is "then": a readmission or death ends the window with no holder.
  if (next?.holder.kind === 'general-practitioner' && period.until !== null) {
    activity.push({
      detail: {
        status: ACTIVITY_STATUS[episodeStatus(next, now)],
        description: `Then, from ${formatCopenhagen(period.until)}: ${nameOf(next.holder)} (${contactText(next.holder)})`,
        scheduledPeriod: fhirPeriod(next),
        performer: [organizationReference(next.holder, organizations)],
      },
    });
  }
  return {
    resourceType: 'CarePlan',
    id: deterministicId(`CarePlan|responsibility|${episodeId}`),
    meta: meta(),
    status: CARE_PLAN_STATUS[status],
    intent: 'plan',
    category: [typeConcept('hospital-department')],
    title: 'Opfølgning efter udskrivelse: udvidet behandlingsansvar',
    description: 'Derived by Sektorbro from the responsibility periods: whom to contact after the discharge, and until when.',
    subject,
    period: fhirPeriod(period),
    careTeam: [{ reference: `CareTeam/${careTeamId}` }],
    supportingInfo: [{ reference: `EpisodeOfCare/${episodeId}` }],
    activity,
  };
}
