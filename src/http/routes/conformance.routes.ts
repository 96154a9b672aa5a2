import { Router, type Response } from 'express';
import { permits, type Interaction, type Principal } from '../../auth/index.ts';
import { badRequest, forbidden, notFound } from '../../shared/index.ts';
import type { Validator } from '../../validation/index.ts';
import { FHIR_JSON } from '../error-handler.ts';

/** The conformance resources Sektorbro validates with, served read-only from memory. */
export const CONFORMANCE_TYPES = ['StructureDefinition', 'CodeSystem', 'ValueSet'] as const;

/**
 * `GET /fhir/{StructureDefinition|CodeSystem|ValueSet}[/{id}]`: the profiles, code systems and value
 * sets loaded from `profiles/` at start-up. They hold no patient data, so they are not audited; any
 * client whose scopes cover the type may read them, except relays, which read nothing.
 */
export function conformanceRouter(validator: Validator, publicBaseUrl: string): Router {
  const router = Router();
  const byType = new Map<string, fhir4.Resource[]>();
  for (const r of validator.conformanceResources) byType.set(r.resourceType, [...(byType.get(r.resourceType) ?? []), r]);

  const guard = (res: Response, type: string, interaction: Interaction): void => {
    const principal = res.locals.principal as Principal;
    if (principal.role === 'relay') throw forbidden('Relay clients submit messages only; they read nothing');
    if (!permits(principal.scopes, type, interaction)) throw forbidden(`The granted scopes do not permit reading ${type}`);
  };

  for (const type of CONFORMANCE_TYPES) {
    router.get(`/${type}`, (req, res) => {
      guard(res, type, 's');
      let matches = byType.get(type) ?? [];
      for (const [k, v] of new URLSearchParams(req.originalUrl.split('?')[1] ?? '')) {
        if (k === 'url') matches = matches.filter((r) => (r as { url?: string }).url === v.split('|')[0]);
        else if (k === '_id') matches = matches.filter((r) => v.split(',').includes(r.id ?? ''));
        else if (k === 'name') matches = matches.filter((r) => (r as { name?: string }).name?.toLowerCase().startsWith(v.toLowerCase()));
        else if (k !== '_format' && k !== '_count') throw badRequest(`Unknown ${type} search parameter ${k}; supported: url, _id, name`, [k], 'not-supported');
      }
      const bundle: fhir4.Bundle = {
        resourceType: 'Bundle',
        type: 'searchset',
        total: matches.length,
        link: [{ relation: 'self', url: `${publicBaseUrl}${req.originalUrl}` }],
        entry: matches.map((r) => ({ fullUrl: `${publicBaseUrl}/fhir/${type}/${r.id ?? ''}`, resource: r as fhir4.FhirResource, search: { mode: 'match' } })),
      };
      res.type(FHIR_JSON).send(JSON.stringify(bundle));
    });
    router.get(`/${type}/:id`, (req, res) => {
      guard(res, type, 'r');
      const found = (byType.get(type) ?? []).find((r) => r.id === req.params.id);
      if (!found) throw notFound(`${type}/${req.params.id}`);
      res.type(FHIR_JSON).send(JSON.stringify(found));
    });
  }
  return router;
}
