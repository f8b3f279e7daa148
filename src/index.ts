/** agent-trace as a library: the in-process tracer, the exporters and the event types. */
export { createSessionTracer } from './tracer/session-tracer.js';
export type { SessionTracer, SessionTracerOptions, ModelCallStart, ModelCallFinish, ToolStart, ToolFinish } from './tracer/session-tracer.js';
export { FileExporter, type FileExporterOptions } from '../exporters/file-exporter.js';
export { SessionStore, SessionNotFoundError } from './store/session-store.js';
export { TraceBuilder, buildTrace } from './model/trace-builder.js';
export { validateEvent, InvalidEventError } from './events/validate.js';
export { Redactor, DEFAULT_RULES, type RedactionConfig, type RedactionRule } from './redact.js';
export { PRICE_SOURCE, PRICES_AS_OF, costOf, priceCall, type CallCost, type ModelPrice, type PriceTable } from './model/pricing.js';
export { sessionFolderName, defaultDataDir } from './store/paths.js';
export type * from './events/types.js';
export type * from './model/trace.js';
// OTLP export (official serializers of @opentelemetry/otlp-transformer, our own transport): the SpanExporter, the trace-document
// conversion, settings resolution and the exactly-once session export used by `agent-trace export`.
export { OtlpExporter, OtlpExportError, type OtlpExporterOptions, type WireStats } from '../exporters/otlp/exporter.js';
export { SpanConverter, buildResource, msToHrTime, msToNanos, turnTraceId, type TraceMode } from '../exporters/otlp/spans.js';
export { resolveOtlpSettings, OtlpSettingsError, type OtlpSettings, type OtlpOverrides } from '../exporters/otlp/settings.js';
export { exportSession, type SessionExportOptions, type SessionExportResult } from '../exporters/otlp/session-export.js';
export { spawnBackgroundExport } from '../exporters/otlp/background.js';
export type { TracerOtlpOptions } from '../exporters/otlp/tracer-export.js';
