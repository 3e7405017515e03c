// Worker thread entry: parses list pages sent by WorkerPageParser.
import { parentPort } from 'node:worker_threads';
import { errorToJson } from './errors.ts';
import { parseListPage } from './list-page.ts';
import type { ParseReply, ParseRequest } from './page-parser.ts';

parentPort!.on('message', (request: ParseRequest) => {
  let reply: ParseReply;
  try {
    reply = { id: request.id, page: parseListPage(request.body, request.verb, request.kind, request.context) };
  } catch (error) {
    reply = { id: request.id, error: errorToJson(error) };
  }
  parentPort!.postMessage(reply);
});
