// Worker thread entry: parses list pages sent by WorkerPageParser.
import { parentPort } from 'node:worker_threads';
import { parseListPage } from './list-page.ts';
import { answerPageJobs, type ListPageJob } from './page-parser.ts';

answerPageJobs<ListPageJob, unknown>(parentPort!, (job) => parseListPage(job.body, job.verb, job.kind, job.context));
