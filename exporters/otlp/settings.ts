import { checkOtlpSection } from '../../src/config-check.js';
import type { OtlpConfig } from '../../src/config.js';
import type { TlsFiles } from './transport.js';

/**
 * Where and how spans are exported, resolved field by field with the precedence of SPEC §2:
 * explicit flags (or tracer options) > the standard `OTEL_EXPORTER_OTLP_*` variables > the config file
 * (`otlp` in config.json) > defaults. The variables are read here rather than left to the OTel SDK, because
 * the SDK would rank them *above* anything passed to it (config file values included) and because Claude Code
 * strips `OTEL_*` from hook processes anyway: the config file must be enough on its own.
 *
 * Endpoints: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is the full traces URL and is used as it is (as the OTel
 * spec says); `OTEL_EXPORTER_OTLP_ENDPOINT` is a base URL to which `v1/traces` is appended. A flag or config
 * endpoint may be either: a URL whose path already ends in `/v1/traces` is used as it is, any other gets
 * `/v1/traces` appended (so `http://localhost:4318`, `https://cloud.langfuse.com/api/public/otel` and
 * `http://localhost:6006/v1/traces` all work).
 */

export type OtlpProtocol = 'http/protobuf' | 'http/json';
export type OtlpCompression = 'gzip' | 'none';
export type TraceMode = 'session' | 'turn';
export type SettingSource = 'flag' | 'env' | 'config' | 'default';

/** What a caller can set explicitly (CLI flags, tracer options). */
export interface OtlpOverrides {
  endpoint?: string;
  protocol?: string;
  /** `K=V` strings (repeatable flag) or a record. */
  headers?: string[] | Record<string, string>;
  timeoutMs?: number | string;
  compression?: string;
  traceMode?: string;
  serviceName?: string;
  resourceAttributes?: Record<string, string>;
}

export interface OtlpSettings {
  /** Full traces URL (credentials and query kept: they are sent, but never shown or written). */
  url: string;
  protocol: OtlpProtocol;
  headers: Record<string, string>;
  timeoutMs: number;
  compression: OtlpCompression;
  traceMode: TraceMode;
  serviceName?: string;
  resourceAttributes: Record<string, string>;
  retries: number;
  backoffMs: number;
  /** TLS files from `OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE`, `…_CLIENT_KEY`, `…_CLIENT_CERTIFICATE`. */
  tls: TlsFiles;
  /** Where each value came from (for `--dry-run` and tests). */
  sources: { endpoint: SettingSource; protocol: SettingSource; timeoutMs: SettingSource; compression: SettingSource; traceMode: SettingSource };
}

/** A bad setting; `source` says where it came from (a bad flag is a usage error, the others are not). */
export class OtlpSettingsError extends Error {
  constructor(
    message: string,
    readonly source: Exclude<SettingSource, 'default'> = 'flag',
  ) {
    super(message);
    this.name = 'OtlpSettingsError';
  }
}

const TRACES_PATH = 'v1/traces';

function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v ? v : undefined;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

function checkUrl(url: string, where: string, source: Exclude<SettingSource, 'default'>): URL {
  if (!SCHEME.test(url)) {
    // `localhost:4318`, `collector:4318/v1/traces`, `127.0.0.1:4318`: a host and port without the scheme.
    const guess = `http://${url}`;
    const hostLike = !/\s/.test(url) && URL.canParse(guess);
    throw new OtlpSettingsError(
      `${where}: "${url}" ${hostLike ? 'has no scheme' : 'is not a URL'}; the endpoint must start with http:// or https://, e.g. ${hostLike ? guess : 'http://localhost:4318'}`,
      source,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OtlpSettingsError(`${where}: "${url}" is not a URL; the endpoint must look like http://localhost:4318`, source);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new OtlpSettingsError(
      `${where}: "${parsed.protocol}//" endpoints are not supported; agent-trace speaks OTLP/HTTP: the endpoint must start with http:// or https:// (usually port 4318)`,
      source,
    );
  }
  return parsed;
}

/** A base or full endpoint (flag, config) → the traces URL. */
export function tracesUrl(endpoint: string, where = 'endpoint', source: Exclude<SettingSource, 'default'> = 'flag'): string {
  const url = checkUrl(endpoint, where, source);
  if (/\/v1\/traces\/?$/.test(url.pathname)) return url.href;
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${TRACES_PATH}`;
  return url.href;
}

/** `OTEL_EXPORTER_OTLP_ENDPOINT` semantics: always append `v1/traces` to the base. */
function baseEnvUrl(endpoint: string): string {
  const url = checkUrl(endpoint, 'OTEL_EXPORTER_OTLP_ENDPOINT', 'env');
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${TRACES_PATH}`;
  return url.href;
}

/** `k=v,k2=v2` with percent-encoded values (the W3C baggage form the OTel spec uses for headers). */
export function parseKeyValueList(text: string | undefined, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const item of text.split(',')) {
    if (!item.trim()) continue;
    const eq = item.indexOf('=');
    if (eq <= 0) throw new OtlpSettingsError(`${where}: "${item.trim()}" is not key=value`, 'env');
    const key = item.slice(0, eq).trim();
    const raw = item.slice(eq + 1).trim();
    let value = raw;
    try {
      value = decodeURIComponent(raw);
    } catch {
      // not percent-encoded: keep as written
    }
    out[key] = value;
  }
  return out;
}

function parseHeaderFlags(headers: OtlpOverrides['headers']): Record<string, string> {
  if (!headers) return {};
  if (!Array.isArray(headers)) return { ...headers };
  const out: Record<string, string> = {};
  for (const h of headers) {
    const eq = h.indexOf('=');
    if (eq <= 0) throw new OtlpSettingsError(`--header "${h}" is not K=V (e.g. --header "Authorization=Bearer TOKEN")`);
    out[h.slice(0, eq).trim()] = h.slice(eq + 1);
  }
  return out;
}

/** Header names are case-insensitive: a later source replaces an earlier one whatever the case. */
function mergeHeaders(...layers: Record<string, string>[]): Record<string, string> {
  const byLower = new Map<string, [string, string]>();
  for (const layer of layers) for (const [k, v] of Object.entries(layer)) byLower.set(k.toLowerCase(), [k, v]);
  return Object.fromEntries([...byLower.values()]);
}

function protocolOf(value: string, where: string): OtlpProtocol {
  if (value === 'http/protobuf' || value === 'http/json') return value;
  if (value === 'grpc') {
    throw new OtlpSettingsError(`${where}=grpc is not supported; use http/protobuf (OTLP/HTTP, usually port 4318)`);
  }
  throw new OtlpSettingsError(`${where}: unknown protocol "${value}"; use http/protobuf or http/json`);
}

function timeoutOf(value: number | string, where: string): number {
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isFinite(n) || n <= 0) throw new OtlpSettingsError(`${where}: "${value}" is not a positive number of milliseconds`);
  return n;
}

function compressionOf(value: string, where: string): OtlpCompression {
  if (value === 'gzip' || value === 'none') return value;
  throw new OtlpSettingsError(`${where}: unknown compression "${value}"; use gzip or none`);
}

function traceModeOf(value: string, where: string): TraceMode {
  if (value === 'session' || value === 'turn') return value;
  throw new OtlpSettingsError(`${where}: unknown trace mode "${value}"; use session or turn`);
}

function pick<T>(
  candidates: Array<[SettingSource, string, string | number | undefined]>,
  parse: (value: string, where: string) => T,
  fallback: T,
): [T, SettingSource] {
  for (const [source, where, value] of candidates) {
    if (value === undefined || value === '') continue;
    try {
      return [parse(String(value), where), source];
    } catch (error) {
      if (error instanceof OtlpSettingsError && source !== 'default') throw new OtlpSettingsError(error.message, source);
      throw error;
    }
  }
  return [fallback, 'default'];
}

/**
 * The `otlp` section of the config file, checked against the config schema (src/config-schema.ts): a value of
 * the wrong type fails naming the field (and the file) rather than being ignored or crashing later. Unknown
 * fields are left alone.
 */
export function checkOtlpConfig(value: unknown, configPath?: string): OtlpConfig {
  if (value === undefined || value === null) return {};
  const problem = checkOtlpSection(value, configPath ?? 'the config file');
  if (problem) throw new OtlpSettingsError(problem.message, 'config');
  return value as OtlpConfig;
}

export interface ResolveInput {
  flags?: OtlpOverrides;
  env?: NodeJS.ProcessEnv;
  /** The config file's `otlp` section, as read (it is checked here). */
  config?: OtlpConfig;
  /** The config file, for messages about its values. */
  configPath?: string;
}

/** Settings as resolved whether or not an endpoint is named (`--dry-run` shows what would be sent without one). */
export type OtlpDraftSettings = Omit<OtlpSettings, 'url'> & { url: string | undefined };

/** The export settings, or undefined when no endpoint is named anywhere. Throws OtlpSettingsError on bad values. */
export function resolveOtlpSettings(input: ResolveInput = {}): OtlpSettings | undefined {
  const draft = resolveOtlpDraft(input);
  return draft.url === undefined ? undefined : (draft as OtlpSettings);
}

/** Every setting, the endpoint possibly missing. Throws OtlpSettingsError on bad values. */
export function resolveOtlpDraft(input: ResolveInput = {}): OtlpDraftSettings {
  const flags = input.flags ?? {};
  const env = input.env ?? process.env;
  const config = checkOtlpConfig(input.config, input.configPath);
  const inFile = input.configPath ? ` in ${input.configPath}` : '';

  let url: string | undefined;
  let endpointSource: SettingSource = 'default';
  const flagEndpoint = nonEmpty(flags.endpoint);
  const envTraces = nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const envBase = nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const configEndpoint = nonEmpty(config.endpoint);
  if (flagEndpoint) {
    url = tracesUrl(flagEndpoint, '--endpoint', 'flag');
    endpointSource = 'flag';
  } else if (envTraces) {
    url = checkUrl(envTraces, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'env').href;
    endpointSource = 'env';
  } else if (envBase) {
    url = baseEnvUrl(envBase);
    endpointSource = 'env';
  } else if (configEndpoint) {
    url = tracesUrl(configEndpoint, `otlp.endpoint${inFile || ' in the config file'}`, 'config');
    endpointSource = 'config';
  }

  const [protocol, protocolSource] = pick<OtlpProtocol>(
    [
      ['flag', '--protocol', flags.protocol],
      ['env', 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL)],
      ['env', 'OTEL_EXPORTER_OTLP_PROTOCOL', nonEmpty(env.OTEL_EXPORTER_OTLP_PROTOCOL)],
      ['config', `otlp.protocol${inFile}`, config.protocol],
    ],
    protocolOf,
    'http/protobuf',
  );
  const [timeoutMs, timeoutSource] = pick<number>(
    [
      ['flag', '--timeout', flags.timeoutMs],
      ['env', 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT)],
      ['env', 'OTEL_EXPORTER_OTLP_TIMEOUT', nonEmpty(env.OTEL_EXPORTER_OTLP_TIMEOUT)],
      ['config', `otlp.timeoutMs${inFile}`, config.timeoutMs],
    ],
    timeoutOf,
    10_000,
  );
  const [compression, compressionSource] = pick<OtlpCompression>(
    [
      ['flag', '--compression', flags.compression],
      ['env', 'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION', nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_COMPRESSION)],
      ['env', 'OTEL_EXPORTER_OTLP_COMPRESSION', nonEmpty(env.OTEL_EXPORTER_OTLP_COMPRESSION)],
      ['config', `otlp.compression${inFile}`, config.compression],
    ],
    compressionOf,
    'none',
  );
  const [traceMode, traceModeSource] = pick<TraceMode>(
    [
      ['flag', '--trace-mode', flags.traceMode],
      ['env', 'AGENT_TRACE_OTLP_TRACE_MODE', nonEmpty(env.AGENT_TRACE_OTLP_TRACE_MODE)],
      ['config', `otlp.traceMode${inFile}`, config.traceMode],
    ],
    traceModeOf,
    'session',
  );
  const headers = mergeHeaders(
    config.headers ?? {},
    parseKeyValueList(env.OTEL_EXPORTER_OTLP_HEADERS, 'OTEL_EXPORTER_OTLP_HEADERS'),
    parseKeyValueList(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'),
    parseHeaderFlags(flags.headers),
  );
  const envResource = parseKeyValueList(env.OTEL_RESOURCE_ATTRIBUTES, 'OTEL_RESOURCE_ATTRIBUTES');
  const resourceAttributes = { ...(config.resourceAttributes ?? {}), ...envResource, ...(flags.resourceAttributes ?? {}) };
  const serviceName =
    nonEmpty(flags.serviceName) ?? nonEmpty(env.OTEL_SERVICE_NAME) ?? nonEmpty(envResource['service.name']) ?? nonEmpty(config.serviceName);

  const tlsFile = (name: string): string | undefined =>
    nonEmpty(env[`OTEL_EXPORTER_OTLP_TRACES_${name}`]) ?? nonEmpty(env[`OTEL_EXPORTER_OTLP_${name}`]);
  const tls: TlsFiles = {};
  const certificate = tlsFile('CERTIFICATE');
  const clientKey = tlsFile('CLIENT_KEY');
  const clientCertificate = tlsFile('CLIENT_CERTIFICATE');
  if (certificate) tls.certificate = certificate;
  if (clientKey) tls.clientKey = clientKey;
  if (clientCertificate) tls.clientCertificate = clientCertificate;
  const retries = Number(env.AGENT_TRACE_EXPORT_RETRIES);
  const backoffMs = Number(env.AGENT_TRACE_EXPORT_BACKOFF_MS);
  return {
    url,
    protocol,
    headers,
    timeoutMs,
    compression,
    traceMode,
    serviceName,
    resourceAttributes,
    retries: Number.isInteger(retries) && retries >= 0 ? retries : 3,
    backoffMs: Number.isFinite(backoffMs) && backoffMs >= 0 ? backoffMs : 500,
    tls,
    sources: {
      endpoint: endpointSource,
      protocol: protocolSource,
      timeoutMs: timeoutSource,
      compression: compressionSource,
      traceMode: traceModeSource,
    },
  };
}

/**
 * The settings as `OTEL_*` variables, for a child process that must export exactly as this one would
 * (the tracer's crash path hands its unsent spans to a background `agent-trace export`).
 */
export function settingsToEnv(settings: OtlpSettings): Record<string, string> {
  const env: Record<string, string> = {
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: settings.url,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: settings.protocol,
    OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: String(settings.timeoutMs),
    OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: settings.compression,
    AGENT_TRACE_OTLP_TRACE_MODE: settings.traceMode,
  };
  const headers = Object.entries(settings.headers).map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
  if (headers.length) env.OTEL_EXPORTER_OTLP_TRACES_HEADERS = headers.join(',');
  if (settings.serviceName) env.OTEL_SERVICE_NAME = settings.serviceName;
  if (settings.tls.certificate) env.OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE = settings.tls.certificate;
  if (settings.tls.clientKey) env.OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY = settings.tls.clientKey;
  if (settings.tls.clientCertificate) env.OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE = settings.tls.clientCertificate;
  const resource = Object.entries(settings.resourceAttributes).map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
  if (resource.length) env.OTEL_RESOURCE_ATTRIBUTES = resource.join(',');
  return env;
}
