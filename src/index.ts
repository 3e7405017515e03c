// The library API. The CLI (`oai-harvester`) is a thin layer over these.
export { OaiClient, type ListArguments, type ListOptions, type OaiClientOptions } from './oai/client.ts';
export { HttpClient, HttpPool, DEFAULT_RETRY, type HttpOptions, type RetryPolicy } from './oai/http.ts';
export * from './oai/errors.ts';
export type * from './oai/types.ts';
export { decodeSetSpec } from './oai/setspec.ts';
export { toProtocolDate, fromWithOverlap } from './oai/dates.ts';
export { StateStore } from './store/state.ts';
export { recordLine, type RecordLine } from './sinks/record-line.ts';
export { harvest, type HarvestOptions, type RunSummary, type SourceSummary, type ListSummary } from './pipeline/harvest.ts';
export { loadConfig, parseConfig, ConfigError, type HarvestConfig, type SourceConfig } from './config/config.ts';
export { identify, listRecords, listIdentifiers, listSets, listMetadataFormats, getRecord } from './pipeline/quick.ts';
