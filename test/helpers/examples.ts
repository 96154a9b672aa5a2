import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `../shared/examples` beside the repository (as in CI: a fresh clone with shared/ next to it). */
export const EXAMPLES_DIR = process.env.SEKTORBRO_EXAMPLES_DIR ?? fileURLToPath(new URL('../../../shared/examples/', import.meta.url));

export const examplePath = (...parts: string[]): string => join(EXAMPLES_DIR, ...parts);

export const listExamples = (folder: string, filter: (name: string) => boolean = () => true): string[] =>
  readdirSync(examplePath(folder)).filter(filter).sort();

/** Reads an example exactly as published (quirks included). */
export const readExampleJson = (folder: string, name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(examplePath(folder, name), 'utf8')) as Record<string, unknown>;
