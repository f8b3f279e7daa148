import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpSettingsError, resolveOtlpSettings, settingsToEnv, tracesUrl } from '../exporters/otlp/settings.js';
import { startOtlpReceiver, type OtlpReceiver } from './helpers/otlp-receiver.js';
import { cleanEnv, cli, richSessionEvents, tempDir, writeConfig, writeSession } from './helpers/otlp-session.js';

describe('OTLP settings: flags > OTEL_EXPORTER_OTLP_* > config file > defaults', () => {
  it('no endpoint anywhere: no export', () => {
    expect(resolveOtlpSettings({ env: {}, config: {} })).toBeUndefined();
    expect(resolveOtlpSettings({ env: { OTEL_EXPORTER_OTLP_HEADERS: 'a=b' }, config: { headers: { x: 'y' } } })).toBeUndefined();
  });

  it('the config file alone is enough (Claude Code strips OTEL_* from hooks)', () => {
    const s = resolveOtlpSettings({
      env: {},
      config: {
        endpoint: 'https://cloud.langfuse.com/api/public/otel',
        headers: { Authorization: 'Basic cGstbGYtMTIzOnNrLWxmLTQ1Ng==' },
        protocol: 'http/json',
        timeoutMs: 2500,
        compression: 'gzip',
        traceMode: 'turn',
        serviceName: 'my-agents',
        resourceAttributes: { team: 'infra' },
      },
    })!;
    expect(s.url).toBe('https://cloud.langfuse.com/api/public/otel/v1/traces');
    expect(s.headers).toEqual({ Authorization: 'Basic cGstbGYtMTIzOnNrLWxmLTQ1Ng==' });
    expect(s).toMatchObject({ protocol: 'http/json', timeoutMs: 2500, compression: 'gzip', traceMode: 'turn', serviceName: 'my-agents' });
    expect(s.resourceAttributes).toEqual({ team: 'infra' });
    expect(s.sources).toEqual({ endpoint: 'config', protocol: 'config', timeoutMs: 'config', compression: 'config', traceMode: 'config' });
  });

  it('defaults: http/protobuf, 10 s, no compression, one trace per session', () => {
    const s = resolveOtlpSettings({ env: {}, config: { endpoint: 'http://localhost:4318' } })!;
    expect(s).toMatchObject({ url: 'http://localhost:4318/v1/traces', protocol: 'http/protobuf', timeoutMs: 10_000, compression: 'none', traceMode: 'session' });
    expect(s.sources.protocol).toBe('default');
  });

  it('endpoint: flag > TRACES_ENDPOINT (as is) > OTLP_ENDPOINT (base + v1/traces) > config', () => {
    const config = { endpoint: 'http://config:4318' };
    const base = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env-base:4318/' };
    const traces = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://env-traces:9999/custom/path' };
    expect(resolveOtlpSettings({ env: {}, config })!.url).toBe('http://config:4318/v1/traces');
    expect(resolveOtlpSettings({ env: base, config })!.url).toBe('http://env-base:4318/v1/traces');
    expect(resolveOtlpSettings({ env: { ...base, ...traces }, config })!.url).toBe('http://env-traces:9999/custom/path');
    const flagged = resolveOtlpSettings({ flags: { endpoint: 'http://flag:4318' }, env: { ...base, ...traces }, config })!;
    expect(flagged.url).toBe('http://flag:4318/v1/traces');
    expect(flagged.sources.endpoint).toBe('flag');
    // OTEL_EXPORTER_OTLP_ENDPOINT is always a base, even when it looks complete (OTel spec)
    expect(resolveOtlpSettings({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://h:4318/v1/traces' } })!.url).toBe('http://h:4318/v1/traces/v1/traces');
  });

  it('flag and config endpoints may be a base or the full traces URL', () => {
    expect(tracesUrl('http://localhost:4318')).toBe('http://localhost:4318/v1/traces');
    expect(tracesUrl('http://localhost:4318/')).toBe('http://localhost:4318/v1/traces');
    expect(tracesUrl('http://localhost:6006/v1/traces')).toBe('http://localhost:6006/v1/traces');
    expect(tracesUrl('https://cloud.langfuse.com/api/public/otel')).toBe('https://cloud.langfuse.com/api/public/otel/v1/traces');
    expect(tracesUrl('https://api.honeycomb.io')).toBe('https://api.honeycomb.io/v1/traces');
  });

  it('protocol, timeout and compression: flag > TRACES_* > generic > config', () => {
    const config = { endpoint: 'http://c:4318', protocol: 'http/json' as const, timeoutMs: 1000, compression: 'none' as const };
    const generic = { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_TIMEOUT: '2000', OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' };
    const specific = { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '3000', OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'none' };
    expect(resolveOtlpSettings({ env: {}, config })).toMatchObject({ protocol: 'http/json', timeoutMs: 1000, compression: 'none' });
    expect(resolveOtlpSettings({ env: generic, config })).toMatchObject({ protocol: 'http/protobuf', timeoutMs: 2000, compression: 'gzip' });
    expect(resolveOtlpSettings({ env: { ...generic, ...specific }, config })).toMatchObject({ protocol: 'http/json', timeoutMs: 3000, compression: 'none' });
    expect(
      resolveOtlpSettings({ flags: { protocol: 'http/protobuf', timeoutMs: '4000', compression: 'gzip' }, env: { ...generic, ...specific }, config }),
    ).toMatchObject({ protocol: 'http/protobuf', timeoutMs: 4000, compression: 'gzip', sources: { protocol: 'flag', timeoutMs: 'flag', compression: 'flag' } });
  });

  it('headers merge by name (case-insensitive), flag > TRACES_HEADERS > HEADERS > config; env values are percent-decoded', () => {
    const s = resolveOtlpSettings({
      flags: { headers: ['X-Flag=1', 'authorization=Bearer flag'] },
      env: {
        OTEL_EXPORTER_OTLP_HEADERS: 'x-env=generic,x-both=generic, Authorization=Basic%20ZW52OmtleQ==',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-both=specific',
      },
      config: { endpoint: 'http://c:4318', headers: { 'X-Config': 'c', 'X-Env': 'config-loses', Authorization: 'Basic config' } },
    })!;
    expect(s.headers).toEqual({ 'X-Config': 'c', 'x-env': 'generic', 'x-both': 'specific', 'X-Flag': '1', authorization: 'Bearer flag' });
    const envOnly = resolveOtlpSettings({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://e:4318', OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Basic%20cGs6c2s=' } })!;
    expect(envOnly.headers).toEqual({ Authorization: 'Basic cGs6c2s=' });
  });

  it('trace mode: flag > AGENT_TRACE_OTLP_TRACE_MODE > config', () => {
    const config = { endpoint: 'http://c:4318', traceMode: 'turn' as const };
    expect(resolveOtlpSettings({ env: {}, config })!.traceMode).toBe('turn');
    expect(resolveOtlpSettings({ env: { AGENT_TRACE_OTLP_TRACE_MODE: 'session' }, config })!.traceMode).toBe('session');
    expect(resolveOtlpSettings({ flags: { traceMode: 'turn' }, env: { AGENT_TRACE_OTLP_TRACE_MODE: 'session' }, config })!.traceMode).toBe('turn');
  });

  it('service name and resource: OTEL_SERVICE_NAME > OTEL_RESOURCE_ATTRIBUTES > config', () => {
    const config = { endpoint: 'http://c:4318', serviceName: 'from-config', resourceAttributes: { team: 'a', region: 'eu' } };
    expect(resolveOtlpSettings({ env: {}, config })!.serviceName).toBe('from-config');
    const viaResource = resolveOtlpSettings({ env: { OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-resource,team=b' }, config })!;
    expect(viaResource.serviceName).toBe('from-resource');
    expect(viaResource.resourceAttributes).toEqual({ team: 'b', region: 'eu', 'service.name': 'from-resource' });
    expect(resolveOtlpSettings({ env: { OTEL_SERVICE_NAME: 'from-env', OTEL_RESOURCE_ATTRIBUTES: 'service.name=x' }, config })!.serviceName).toBe('from-env');
  });

  it('bad values fail with a message that names the setting', () => {
    const bad = (input: Parameters<typeof resolveOtlpSettings>[0], pattern: RegExp) => {
      expect(() => resolveOtlpSettings(input)).toThrowError(OtlpSettingsError);
      expect(() => resolveOtlpSettings(input)).toThrowError(pattern);
    };
    bad({ flags: { endpoint: 'not a url' } }, /--endpoint.*not a URL/);
    bad({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317' } }, /OTLP\/HTTP/);
    bad({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } }, /OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported/);
    bad({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_TIMEOUT: 'soon' } }, /OTEL_EXPORTER_OTLP_TIMEOUT/);
    bad({ flags: { endpoint: 'http://c:4318', headers: ['no-equals-sign'] } }, /--header "no-equals-sign" is not K=V/);
    bad({ config: { endpoint: 'http://c:4318', compression: 'zstd' as never } }, /otlp.compression/);
  });

  it('config values of the wrong type fail naming the field and the file (never ignored, never a crash)', () => {
    const bad = (otlp: unknown, pattern: RegExp) => {
      const run = () => resolveOtlpSettings({ env: {}, config: otlp as never, configPath: '/cfg/config.json' });
      expect(run).toThrowError(OtlpSettingsError);
      expect(run).toThrowError(pattern);
      try {
        run();
      } catch (error) {
        expect((error as OtlpSettingsError).source).toBe('config');
        expect((error as Error).message).not.toContain('\n');
      }
    };
    const endpoint = 'http://c:4318';
    bad({ endpoint, timeoutMs: 'abc' }, /^otlp\.timeoutMs in \/cfg\/config\.json must be a positive number of milliseconds such as 10000, not "abc"$/);
    bad({ endpoint, timeoutMs: '5000' }, /otlp\.timeoutMs in \/cfg\/config\.json must be a positive number/);
    bad({ endpoint, timeoutMs: -1 }, /otlp\.timeoutMs/);
    bad({ endpoint: 4318 }, /^otlp\.endpoint in \/cfg\/config\.json must be a URL string such as "http:\/\/localhost:4318", not 4318$/);
    bad({ endpoint, headers: 'Authorization=Bearer x' }, /^otlp\.headers in \/cfg\/config\.json must be an object of string values/);
    bad({ endpoint, headers: { 'x-n': 5 } }, /^otlp\.headers\.x-n in \/cfg\/config\.json must be a string, not 5$/);
    bad({ endpoint, resourceAttributes: ['a'] }, /otlp\.resourceAttributes/);
    bad({ endpoint, traceMode: ['turn'] }, /otlp\.traceMode in \/cfg\/config\.json must be "session" or "turn"/);
    bad({ endpoint, protocol: 1 }, /otlp\.protocol/);
    bad({ endpoint, serviceName: 5 }, /otlp\.serviceName/);
    bad({ endpoint, auto: 'yes' }, /otlp\.auto in \/cfg\/config\.json must be true or false, not "yes"/);
    bad('http://localhost:4318', /^otlp in \/cfg\/config\.json must be an object such as \{"endpoint": "http:\/\/localhost:4318"\}/);
    bad({ endpoint, compression: 'zstd' }, /^otlp\.compression in \/cfg\/config\.json must be "gzip" or "none", not "zstd"$/);
    // even without an endpoint, a bad value is reported rather than ignored
    bad({ timeoutMs: 'abc' }, /otlp\.timeoutMs/);
    // what is well-typed passes, unknown fields are left alone
    expect(resolveOtlpSettings({ env: {}, config: { endpoint, timeoutMs: 5000, auto: false, extra: 1 } as never })!.timeoutMs).toBe(5000);
  });

  it('endpoints without a scheme say to add http://', () => {
    const bad = (endpoint: string, pattern: RegExp) => expect(() => resolveOtlpSettings({ flags: { endpoint }, env: {} })).toThrowError(pattern);
    bad('localhost:4318', /^--endpoint: "localhost:4318" has no scheme; the endpoint must start with http:\/\/ or https:\/\/, e\.g\. http:\/\/localhost:4318$/);
    bad('127.0.0.1:4318', /e\.g\. http:\/\/127\.0\.0\.1:4318$/);
    bad('collector', /e\.g\. http:\/\/collector$/);
    bad('grpc://collector:4317', /"grpc:\/\/" endpoints are not supported; .*must start with http:\/\/ or https:\/\//);
    expect(() => resolveOtlpSettings({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' } })).toThrowError(/^OTEL_EXPORTER_OTLP_ENDPOINT: "localhost:4318" has no scheme/);
  });

  it('settingsToEnv reproduces the same settings in a child process (the tracer crash path)', () => {
    const s = resolveOtlpSettings({
      flags: { endpoint: 'http://h:4318', headers: { Authorization: 'Basic a2V5OnNlY3JldA==', 'x-team': 'a,b' }, traceMode: 'turn' },
      env: {},
      config: { serviceName: 'svc', resourceAttributes: { 'deployment.environment': 'prod' }, compression: 'gzip', timeoutMs: 1234 },
    })!;
    const again = resolveOtlpSettings({ env: settingsToEnv(s), config: {} })!;
    expect(again).toMatchObject({
      url: s.url,
      protocol: s.protocol,
      headers: s.headers,
      timeoutMs: 1234,
      compression: 'gzip',
      traceMode: 'turn',
      serviceName: 'svc',
      resourceAttributes: s.resourceAttributes,
    });
  });
});

describe('OTLP settings through the CLI', () => {
  let fromConfig: OtlpReceiver;
  let fromEnv: OtlpReceiver;
  let fromFlag: OtlpReceiver;
  beforeAll(async () => {
    [fromConfig, fromEnv, fromFlag] = await Promise.all([startOtlpReceiver(), startOtlpReceiver(), startOtlpReceiver()]);
  });
  afterAll(async () => {
    await Promise.all([fromConfig.close(), fromEnv.close(), fromFlag.close()]);
  });

  it('config file, then env over it, then flag over both; headers from each layer reach the collector', async () => {
    const dir = tempDir();
    const { doc } = writeSession(dir, 'precedence', richSessionEvents('precedence'));
    const config = writeConfig(dir, {
      otlp: { endpoint: fromConfig.baseUrl, headers: { 'x-layer': 'config', 'x-config-only': 'yes' }, protocol: 'http/json', serviceName: 'cfg-svc' },
    });
    const args = ['export', 'precedence', '--dir', dir, '--json'];

    const a = await cli(args, { env: cleanEnv({ AGENT_TRACE_CONFIG: config }) });
    expect(a.stderr).toBe('');
    expect(fromConfig.spans).toHaveLength(doc.spans.length);
    expect(fromConfig.requests[0]!.headers['x-layer']).toBe('config');
    expect(fromConfig.requests[0]!.contentType).toMatch(/application\/json/);
    expect(fromConfig.spans[0]!.resource['service.name']).toBe('cfg-svc');

    const env = cleanEnv({
      AGENT_TRACE_CONFIG: config,
      OTEL_EXPORTER_OTLP_ENDPOINT: fromEnv.baseUrl,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-layer=env',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_SERVICE_NAME: 'env-svc',
    });
    const b = await cli(args, { env });
    expect(b.stderr).toBe('');
    expect(fromEnv.spans).toHaveLength(doc.spans.length);
    expect(fromEnv.requests[0]!.headers['x-layer']).toBe('env');
    expect(fromEnv.requests[0]!.headers['x-config-only']).toBe('yes');
    expect(fromEnv.requests[0]!.contentType).toMatch(/application\/x-protobuf/);
    expect(fromEnv.spans[0]!.resource['service.name']).toBe('env-svc');

    const c = await cli([...args, '--endpoint', fromFlag.url, '--header', 'x-layer=flag', '--protocol', 'http/json'], { env });
    expect(c.stderr).toBe('');
    expect(fromFlag.spans).toHaveLength(doc.spans.length);
    expect(fromFlag.requests[0]!.headers['x-layer']).toBe('flag');
    expect(fromFlag.requests[0]!.contentType).toMatch(/application\/json/);
    // each endpoint has its own watermark; none got anything twice
    for (const r of [fromConfig, fromEnv, fromFlag]) expect(r.duplicates()).toEqual([]);
  });

  it('usage errors exit 2; no endpoint exits 1 naming the three ways to set one', async () => {
    const dir = tempDir();
    writeSession(dir, 'usage', richSessionEvents('usage'));
    const env = cleanEnv({ AGENT_TRACE_CONFIG: writeConfig(dir) });
    const none = await cli(['export', '--dir', dir], { env });
    expect(none.code).toBe(2);
    const both = await cli(['export', 'usage', '--all', '--dir', dir], { env });
    expect(both.code).toBe(2);
    const badProtocol = await cli(['export', 'usage', '--dir', dir, '--endpoint', 'http://127.0.0.1:1', '--protocol', 'grpc'], { env });
    expect(badProtocol.code).toBe(2);
    const noEndpoint = await cli(['export', 'usage', '--dir', dir], { env });
    expect(noEndpoint.code).toBe(1);
    expect(noEndpoint.stderr.trim().split('\n')).toHaveLength(1);
    expect(noEndpoint.stderr).toMatch(/--endpoint.*OTEL_EXPORTER_OTLP_ENDPOINT.*otlp\.endpoint/);
    // a bad config value is not a usage error: exit 1, one line naming the field and the file
    const badConfig = writeConfig(tempDir(), { otlp: { endpoint: 'http://127.0.0.1:1', timeoutMs: 'abc' } });
    const typed = await cli(['export', 'usage', '--dir', dir], { env: cleanEnv({ AGENT_TRACE_CONFIG: badConfig }) });
    expect(typed.code).toBe(1);
    expect(typed.stderr).toBe(`agent-trace: otlp.timeoutMs in ${badConfig} must be a positive number of milliseconds such as 10000, not "abc"\n`);
    const untyped = await cli(['export', 'usage', '--dir', dir], { env: cleanEnv({ AGENT_TRACE_CONFIG: writeConfig(tempDir(), { otlp: { endpoint: 4318 } }) }) });
    expect(untyped.code).toBe(1);
    expect(untyped.stderr).toMatch(/^agent-trace: otlp\.endpoint in .* must be a URL string/);
    const unknown = await cli(['export', 'nope', '--dir', dir, '--endpoint', 'http://127.0.0.1:1'], { env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no session matches "nope"/);
  });
});
