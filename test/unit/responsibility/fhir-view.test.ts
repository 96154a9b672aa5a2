import { describe, expect, it } from 'vitest';
import {
  buildResponsibilityView,
  computePeriods,
  DEFAULT_RESPONSIBILITY_RULES,
  episodeStatus,
  parseEvents,
  responsibilityEpisodeId,
  RESPONSIBILITY_TYPE_SYSTEM,
  type OrganizationUnit,
  type ResponsibilityEpisode,
  type ResponsibilityPeriod,
} from '../../../src/responsibility/index.ts';

// The periods come from the real engine (72 h in Hovedstaden); the view is checked against times
// worked out by hand: a discharge 2024-03-04 10:00 (+01:00) ends its window 2024-03-07 10:00.

const MED = { sor: '265351000016007', name: 'Medicinsk afdeling', telecom: [{ system: 'phone' as const, value: '+4538620000' }] };
const GP: OrganizationUnit = { sor: '1017421000016003', name: 'Lægehuset Østerbro', telecom: [{ system: 'phone', value: '+4535350000' }] };
const PATIENT = 'patient-1';
const ADMITTED = '2024-02-26T08:00:00+01:00';
const DISCHARGED = '2024-03-04T10:00:00+01:00';
const WINDOW_END = '2024-03-07T10:00:00.000+01:00';

const events = (extra: object[] = []): object[] => [
  { id: 'a1', type: 'admitted', at: ADMITTED },
  { id: 'd1', type: 'discharged', at: DISCHARGED, department: MED, receivesMunicipalCare: true, somatic: true },
  ...extra,
];

/** `gp: null` runs without a known GP. */
function periodsOf(list: object[], gp: OrganizationUnit | null): ResponsibilityPeriod[] {
  return computePeriods(parseEvents(list), DEFAULT_RESPONSIBILITY_RULES, gp ?? undefined);
}

const view = (now: string, list: object[] = events(), gp: OrganizationUnit | null = GP, organizations?: Map<string, string>): ResponsibilityEpisode[] =>
  buildResponsibilityView({ patientId: PATIENT, periods: periodsOf(list, gp), now: new Date(now), organizations });

const typeCode = (e: ResponsibilityEpisode): string | undefined => e.episodeOfCare.type?.[0]?.coding?.find((c) => c.system === RESPONSIBILITY_TYPE_SYSTEM)?.code;

describe('behandlingsansvar as EpisodeOfCare, CareTeam and CarePlan', () => {
  it('when a department discharge starts a window, then there is one department episode (discharge → +72 h) and one GP episode after it; no episode for the time before', () => {
    const episodes = view('2024-03-05T12:00:00+01:00');
    expect(episodes.map((e) => [e.kind, typeCode(e), e.status])).toEqual([
      ['hospital-department', 'extended-care-responsibility', 'active'],
      ['general-practitioner', 'general-practice', 'planned'],
    ]);
    const [department, gp] = episodes;
    expect(department?.episodeOfCare.period).toEqual({ start: '2024-03-04T10:00:00.000+01:00', end: WINDOW_END });
    expect(department?.episodeOfCare.patient).toEqual({ reference: `Patient/${PATIENT}` });
    expect(department?.episodeOfCare.managingOrganization).toMatchObject({ identifier: { system: 'urn:oid:1.2.208.176.1.1', value: MED.sor }, display: MED.name });
    // The GP's period is open-ended: no end.
    expect(gp?.episodeOfCare.period).toEqual({ start: WINDOW_END });
    expect(gp?.episodeOfCare.managingOrganization?.identifier?.value).toBe(GP.sor);
  });

  it('when now passes the window end, then the department episode is finished and the GP episode active; at exactly the end the GP holds it', () => {
    expect(view('2024-03-07T09:59:59.999+01:00').map((e) => e.status)).toEqual(['active', 'planned']);
    expect(view(WINDOW_END).map((e) => e.status)).toEqual(['finished', 'active']);
    expect(view('2024-04-01T00:00:00+02:00').map((e) => e.status)).toEqual(['finished', 'active']);
  });

  it('when the view is built twice (even at another now), then the ids are the same; another discharge time gives another id', () => {
    const a = view('2024-03-05T12:00:00+01:00').map((e) => [e.episodeOfCare.id, e.careTeam.id, e.carePlan?.id]);
    const b = view('2024-03-09T12:00:00+01:00').map((e) => [e.episodeOfCare.id, e.careTeam.id, e.carePlan?.id]);
    expect(a).toEqual(b);
    expect(a[0]?.[0]).toBe(responsibilityEpisodeId(PATIENT, MED.sor, new Date(DISCHARGED)));
    const moved = view('2024-03-05T12:00:00+01:00', events([{ id: 'c1', type: 'corrected', at: '2024-03-04T12:00:00+01:00', targetId: 'd1', set: { at: '2024-03-04T11:00:00+01:00' } }]));
    expect(moved[0]?.episodeOfCare.id).not.toBe(a[0]?.[0]);
    expect(moved[0]?.episodeOfCare.period?.end).toBe('2024-03-07T11:00:00.000+01:00');
  });

  it('when the registry knows the holder, then the episode and the CareTeam reference its Organization and the CareTeam carries its telecom', () => {
    const [department, gp] = view('2024-03-05T12:00:00+01:00', events(), GP, new Map([[MED.sor, 'org-med']]));
    expect(department?.episodeOfCare.managingOrganization?.reference).toBe('Organization/org-med');
    expect(gp?.episodeOfCare.managingOrganization?.reference).toBeUndefined();
    expect(department?.episodeOfCare.team).toEqual([{ reference: `CareTeam/${department?.careTeam.id ?? ''}` }]);
    expect(department?.careTeam).toMatchObject({ status: 'active', telecom: MED.telecom, subject: { reference: `Patient/${PATIENT}` } });
    expect(department?.careTeam.participant?.[0]?.member?.reference).toBe('Organization/org-med');
    expect(gp?.careTeam).toMatchObject({ status: 'proposed', telecom: GP.telecom });
  });

  it('when the department holds it, then the CarePlan view says whom to call until when, and then the GP', () => {
    const [department, gp] = view('2024-03-05T12:00:00+01:00');
    const plan = department?.carePlan;
    expect(gp?.carePlan).toBeUndefined();
    expect(plan).toMatchObject({ status: 'active', intent: 'plan', subject: { reference: `Patient/${PATIENT}` }, period: department?.episodeOfCare.period });
    expect(plan?.author).toBeUndefined();
    expect(plan?.supportingInfo).toEqual([{ reference: `EpisodeOfCare/${department?.episodeOfCare.id ?? ''}` }]);
    const [first, then] = plan?.activity ?? [];
    expect(first?.detail?.status).toBe('in-progress');
    expect(first?.detail?.description).toContain(MED.name);
    expect(first?.detail?.description).toContain('+4538620000');
    expect(first?.detail?.description).toContain(WINDOW_END);
    expect(then?.detail?.status).toBe('scheduled');
    expect(then?.detail?.description).toContain(GP.name);
    expect(then?.detail?.description).toContain('+4535350000');

    const after = view('2024-03-08T12:00:00+01:00')[0]?.carePlan;
    expect(after?.status).toBe('completed');
    expect(after?.activity?.map((a) => a.detail?.status)).toEqual(['completed', 'in-progress']);
  });

  it('when the patient is readmitted inside the window, then the department episode ends at the readmission, no GP episode follows it and the plan has no "then"', () => {
    const readmission = '2024-03-05T08:00:00+01:00';
    const episodes = view('2024-03-05T12:00:00+01:00', events([{ id: 'r1', type: 'readmitted', at: readmission, department: MED }]));
    expect(episodes.map((e) => [e.kind, e.status])).toEqual([['hospital-department', 'finished']]);
    expect(episodes[0]?.episodeOfCare.period?.end).toBe('2024-03-05T08:00:00.000+01:00');
    expect(episodes[0]?.carePlan?.activity).toHaveLength(1);
  });

  it('when the discharge is not eligible (a stay under 24 h), then only the GP holds it, from the discharge, active at once', () => {
    const short = [
      { id: 'a1', type: 'admitted', at: '2024-03-04T00:00:00+01:00' },
      { id: 'd1', type: 'discharged', at: DISCHARGED, department: MED, receivesMunicipalCare: true, somatic: true },
    ];
    const episodes = view('2024-03-05T12:00:00+01:00', short);
    expect(episodes.map((e) => [e.kind, e.status, e.episodeOfCare.period?.start])).toEqual([['general-practitioner', 'active', '2024-03-04T10:00:00.000+01:00']]);
  });

  it('when no GP is known, then the GP episode names no organisation, and its CareTeam has no participant', () => {
    const gp = view('2024-03-08T12:00:00+01:00', events(), null)[1];
    expect(gp?.episodeOfCare.managingOrganization?.identifier).toBeUndefined();
    expect(gp?.episodeOfCare.managingOrganization?.display).toMatch(/not known/);
    expect(gp?.careTeam.participant).toBeUndefined();
    expect(gp?.status).toBe('active');
  });

  it('episodeStatus: planned before the start, active in [start, end), finished from the end; open ends stay active', () => {
    const from = new Date('2024-01-01T00:00:00Z');
    const until = new Date('2024-01-02T00:00:00Z');
    expect(episodeStatus({ from, until }, new Date('2023-12-31T23:59:59.999Z'))).toBe('planned');
    expect(episodeStatus({ from, until }, from)).toBe('active');
    expect(episodeStatus({ from, until }, until)).toBe('finished');
    expect(episodeStatus({ from, until: null }, new Date('2030-01-01T00:00:00Z'))).toBe('active');
  });
});
