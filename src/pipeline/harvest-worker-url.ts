import { siblingModule } from '../oai/page-parser.ts';

/** The worker entry that parses and normalises pages (harvest-worker.ts). */
export const HARVEST_WORKER_URL = siblingModule('harvest-worker', import.meta.url);
