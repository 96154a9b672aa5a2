import { describe, expect, it } from 'vitest';
import { parseEvents, parseEventsInput, parseInstant, ResponsibilityInputError } from '../../../src/responsibility/index.ts';

const discharge = {
  id: 'd1',
  type: 'discharged',
  at: '2024-03-04T10:00:00+01:00',
  department: '265351000016007',
  receivesMunicipalCare: true,
  somatic: true,
};

/** The message parseEvents throws, or undefined when it accepts the input. */
function errorOf(json: unknown): string | undefined {
  try {
    parseEvents(json);
    return undefined;
  } catch (e) {
    if (e instanceof ResponsibilityInputError) return e.message;
    throw e;
  }
}

describe('parseEvents: the vocabulary', () => {
  it('when every event type is well formed, then it parses them with instants and departments', () => {
    const events = parseEvents([
      { id: 'a1', type: 'admitted', at: '2024-03-01T08:00:00Z' },
      discharge,
      { id: 'r1', type: 'readmitted', at: '2024-03-05T12:00:00+01:00', department: { sor: '111', name: 'Akutmodtagelsen', telecom: [{ system: 'phone', value: '+4511111111' }] } },
      { id: 'x1', type: 'extended', at: '2024-03-05T09:00:00+01:00', until: '2024-03-08T10:00:00+01:00' },
      { id: 'm1', type: 'died', at: '2024-03-09T03:00:00.250+01:00' },
      { id: 'c1', type: 'corrected', at: '2024-03-10T08:00:00+01:00', targetId: 'd1', set: { at: '2024-03-04T11:00:00+01:00', department: '222' } },
      { id: 'c2', type: 'corrected', at: '2024-03-10T09:00:00+01:00', targetId: 'x1', enteredInError: true },
    ]);
    expect(events.map((e) => e.type)).toEqual(['admitted', 'discharged', 'readmitted', 'extended', 'died', 'corrected', 'corrected']);
    expect(events[0]?.at.toISOString()).toBe('2024-03-01T08:00:00.000Z');
    // +01:00 → one hour earlier in UTC
    expect(events[1]).toMatchObject({ at: new Date('2024-03-04T09:00:00Z'), department: { sor: '265351000016007' } });
    expect(events[2]).toMatchObject({ department: { sor: '111', name: 'Akutmodtagelsen', telecom: [{ system: 'phone', value: '+4511111111' }] } });
    expect(events[3]).toMatchObject({ until: new Date('2024-03-08T09:00:00Z') });
    expect(events[4]?.at.toISOString()).toBe('2024-03-09T02:00:00.250Z');
    expect(events[5]).toMatchObject({ targetId: 'd1', set: { at: new Date('2024-03-04T10:00:00Z'), department: { sor: '222' } } });
    expect(events[6]).toMatchObject({ targetId: 'x1', enteredInError: true });
  });

  it('when a discharge names a region or an inferred municipal-care fact, then both are kept', () => {
    const [event] = parseEvents([{ ...discharge, region: 'sjaelland', municipalCareInferred: true }]);
    expect(event).toMatchObject({ region: 'sjaelland', municipalCareInferred: true });
  });

  it('when the input is the object form, then the GP is read with the events', () => {
    const input = parseEventsInput({ events: [discharge], generalPractitioner: { sor: '999', name: 'Lægehuset', telecom: [{ system: 'phone', value: '+4533333333' }] } });
    expect(input.events).toHaveLength(1);
    expect(input.generalPractitioner).toEqual({ sor: '999', name: 'Lægehuset', telecom: [{ system: 'phone', value: '+4533333333' }] });
    expect(parseEventsInput([discharge]).generalPractitioner).toBeUndefined();
  });
});

describe('parseEvents: errors name the index and field', () => {
  it('when an at has no offset, then the error says so for that index', () => {
    const events = [discharge, { id: 'x', type: 'died', at: '2024-03-05T10:00:00+01:00' }, { id: 'y', type: 'died', at: '2024-03-06T10:00:00' }];
    expect(errorOf(events)).toBe('events[2].at: not an ISO 8601 date-time with offset');
  });

  it.each([
    ['a date only', '2024-03-06'],
    ['a calendar-invalid date', '2024-02-30T10:00:00Z'],
    ['an out-of-range hour', '2024-03-06T24:00:00Z'],
    ['a number', 1709715600000],
  ])('when at is %s, then it is rejected', (_label, at) => {
    expect(errorOf([{ id: 'x', type: 'died', at }])).toBe('events[0].at: not an ISO 8601 date-time with offset');
  });

  it('when the type is unknown or missing, then the error names the type field', () => {
    expect(errorOf([{ id: 'x', type: 'transferred', at: '2024-03-06T10:00:00Z' }])).toMatch(/^events\[0\]\.type: unknown event type/);
    expect(errorOf([discharge, { id: 'x', at: '2024-03-06T10:00:00Z' }])).toMatch(/^events\[1\]\.type: unknown event type/);
  });

  it.each([
    ['receivesMunicipalCare', 'events[0].receivesMunicipalCare: not a boolean'],
    ['somatic', 'events[0].somatic: not a boolean'],
    ['department', 'events[0].department: not a SOR code or an object with sor'],
  ])('when a discharge lacks %s, then the error names it', (field, message) => {
    const broken = Object.fromEntries(Object.entries(discharge).filter(([key]) => key !== field));
    expect(errorOf([broken])).toBe(message);
  });

  it('when a department object has no sor, or a bad telecom, then the nested field is named', () => {
    expect(errorOf([{ ...discharge, department: { name: 'Medicinsk' } }])).toBe('events[0].department.sor: not a non-empty string');
    expect(errorOf([{ ...discharge, department: { sor: '1', telecom: [{ value: 5 }] } }])).toBe('events[0].department.telecom[0].value: not a string');
  });

  it('when an extension has no until, or an until without offset, then until is named', () => {
    expect(errorOf([{ id: 'x', type: 'extended', at: '2024-03-05T10:00:00Z' }])).toBe('events[0].until: not an ISO 8601 date-time with offset');
    expect(errorOf([{ id: 'x', type: 'extended', at: '2024-03-05T10:00:00Z', until: '2024-03-08T10:00' }])).toBe(
      'events[0].until: not an ISO 8601 date-time with offset',
    );
  });

  it('when a correction is malformed, then the problem is named', () => {
    const base = { id: 'c', type: 'corrected', at: '2024-03-05T10:00:00Z', targetId: 'd1' };
    expect(errorOf([base])).toBe('events[0]: needs set (fields to change) or enteredInError: true');
    expect(errorOf([{ ...base, enteredInError: true, set: { somatic: false } }])).toMatch(/^events\[0\]: has both set and enteredInError/);
    expect(errorOf([{ ...base, enteredInError: false }])).toBe('events[0].enteredInError: must be true when present');
    expect(errorOf([{ ...base, set: {} }])).toBe('events[0].set: changes nothing');
    expect(errorOf([{ ...base, set: { type: 'died' } }])).toBe('events[0].set.type: cannot be changed by a correction');
    expect(errorOf([{ ...base, set: { colour: 'red' } }])).toMatch(/^events\[0\]\.set\.colour: not a field a correction can set/);
    expect(errorOf([{ ...base, set: { at: '2024-03-05' } }])).toBe('events[0].set.at: not an ISO 8601 date-time with offset');
    expect(errorOf([{ ...base, targetId: 'c', set: { somatic: true } }])).toBe('events[0].targetId: a correction cannot target itself');
    expect(errorOf([{ ...base, targetId: undefined, set: { somatic: true } }])).toBe('events[0].targetId: not a non-empty string');
  });

  it('when two events share an id, then the later one is named with the earlier', () => {
    expect(errorOf([discharge, { id: 'd1', type: 'died', at: '2024-03-05T10:00:00Z' }])).toBe('events[1].id: duplicate of events[0].id');
  });

  it('when the input is not a list, or an element is not an object, then it says so', () => {
    expect(errorOf({ id: 'x' })).toBe('events: not a list of events');
    expect(errorOf([discharge, 'died'])).toBe('events[1]: not an event object');
    expect(() => parseEventsInput('nope')).toThrow('input: not a list of events or an object with events');
    expect(() => parseEventsInput({ events: [discharge], generalPractitioner: { name: 'x' } })).toThrow('generalPractitioner.sor: not a non-empty string');
  });
});

describe('parseInstant', () => {
  it('when the offset is Z, +hh:mm or -hh:mm, then it is the instant that offset names', () => {
    expect(parseInstant('2024-07-01T12:00:00+02:00')?.toISOString()).toBe('2024-07-01T10:00:00.000Z');
    expect(parseInstant('2024-07-01T12:00-03:30')?.toISOString()).toBe('2024-07-01T15:30:00.000Z');
    expect(parseInstant('2024-07-01T12:00:00.5Z')?.toISOString()).toBe('2024-07-01T12:00:00.500Z');
    expect(parseInstant('2024-07-01T12:00:00')).toBeUndefined();
  });
});
