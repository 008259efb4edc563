import { describe, expect, it } from 'vitest';
import {
  apiKeySettings,
  cliSettings,
  configPath,
  logLevel,
  postgresSettings,
  producerSettings,
  routerSettings,
  sinkSettings,
} from './app-settings';
import { ConfigError } from './config-error';
import { type Environment } from './environment.schema';

function problemsOf(read: (env: Environment) => unknown, env: Environment): string[] {
  try {
    read(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).source).toBe('environment');
    return (error as ConfigError).problems;
  }
  throw new Error('expected the environment to be rejected');
}

describe('sinkSettings', () => {
  it('defaults every setting', () => {
    expect(sinkSettings({})).toEqual({
      port: 8082,
      groupId: 'tablelane-sink',
      concurrency: 8,
      sessionTimeoutMs: 6_000,
      contractHoldMs: 120_000,
      contractReloadMs: 5_000,
      lagProbeMs: 2_000,
      shutdownGraceMs: 25_000,
      applicationName: 'tablelane-sink',
      health: { stallThresholdMs: 60_000, restartAfterMs: 600_000 },
    });
  });

  it('reads every variable, an empty number as unset', () => {
    expect(
      sinkSettings({
        PORT: '0',
        TABLELANE_SINK_GROUP: 'g',
        TABLELANE_SINK_CONCURRENCY: '2',
        TABLELANE_SINK_SESSION_TIMEOUT_MS: '',
        TABLELANE_CONTRACT_HOLD_MS: '1000',
        TABLELANE_CONTRACT_RELOAD_MS: '250',
        TABLELANE_LAG_PROBE_MS: '250',
        TABLELANE_SHUTDOWN_GRACE_MS: '3000',
        PGAPPNAME: 'loader',
        TABLELANE_STALL_THRESHOLD_MS: '3000',
        TABLELANE_STALL_RESTART_MS: '9000',
      }),
    ).toEqual({
      port: 0,
      groupId: 'g',
      concurrency: 2,
      sessionTimeoutMs: 6_000,
      contractHoldMs: 1_000,
      contractReloadMs: 250,
      lagProbeMs: 250,
      shutdownGraceMs: 3_000,
      applicationName: 'loader',
      health: { stallThresholdMs: 3_000, restartAfterMs: 9_000 },
    });
  });

  it('raises the restart bound with a stall threshold above its default', () => {
    expect(sinkSettings({ TABLELANE_STALL_THRESHOLD_MS: '900000' }).health).toEqual({
      stallThresholdMs: 900_000,
      restartAfterMs: 900_000,
    });
  });

  it('lists every bad value, naming the variable and what it must be', () => {
    expect(
      problemsOf(sinkSettings, {
        TABLELANE_SINK_CONCURRENCY: 'many',
        TABLELANE_LAG_PROBE_MS: '-5',
        PORT: '70000',
      }),
    ).toEqual([
      'PORT must be a port number (0 to 65535, 0 for any free port), not "70000"',
      'TABLELANE_SINK_CONCURRENCY must be a positive whole number, not "many"',
      'TABLELANE_LAG_PROBE_MS must be a positive whole number of milliseconds, not "-5"',
    ]);
  });

  it.each(['0', '1.5', 'soon'])('refuses a stall threshold of %s', (value) => {
    expect(problemsOf(sinkSettings, { TABLELANE_STALL_THRESHOLD_MS: value })).toEqual([
      `TABLELANE_STALL_THRESHOLD_MS must be a positive whole number of milliseconds, not ${JSON.stringify(value)}`,
    ]);
  });

  it('refuses a restart bound below the stall threshold', () => {
    expect(
      problemsOf(sinkSettings, { TABLELANE_STALL_THRESHOLD_MS: '5000', TABLELANE_STALL_RESTART_MS: '4000' }),
    ).toEqual(['TABLELANE_STALL_RESTART_MS (4000) must not be below TABLELANE_STALL_THRESHOLD_MS (5000)']);
  });

  it('ignores variables the sink does not read', () => {
    expect(() => sinkSettings({ TABLELANE_ROUTER_CONCURRENCY: 'x', REDSHIFT_SSL: 'maybe' })).not.toThrow();
  });
});

describe('routerSettings', () => {
  it('defaults every setting', () => {
    expect(routerSettings({})).toEqual({
      port: 8083,
      host: '0.0.0.0',
      groupId: 'tablelane-router',
      transactionalIdPrefix: 'tablelane-router',
      lanesTopic: undefined,
      sessionTimeoutMs: 10_000,
      partitionsConsumedConcurrently: 4,
      laneCheckIntervalMs: 60_000,
      contractReloadMs: 5_000,
      contractHoldMs: 120_000,
    });
  });

  it('reads the lane-baseline topic, an empty one as unset', () => {
    expect(routerSettings({ TABLELANE_TOPIC_LANES: 'lanes' }).lanesTopic).toBe('lanes');
    expect(routerSettings({ TABLELANE_TOPIC_LANES: '' }).lanesTopic).toBeUndefined();
  });

  it('refuses what is not a positive whole number', () => {
    expect(
      problemsOf(routerSettings, {
        TABLELANE_ROUTER_CONCURRENCY: '0',
        TABLELANE_CONTRACT_RELOAD_MS: '1e400',
      }),
    ).toEqual([
      'TABLELANE_ROUTER_CONCURRENCY must be a positive whole number, not "0"',
      'TABLELANE_CONTRACT_RELOAD_MS must be a positive whole number of milliseconds, not "1e400"',
    ]);
  });
});

describe('producerSettings and apiKeySettings', () => {
  it('defaults the port, address and body limit', () => {
    expect(producerSettings({})).toEqual({ port: 8080, host: '0.0.0.0', maxBodyBytes: 1_000_000 });
    expect(producerSettings({ PORT: '9000', HOST: '127.0.0.1' })).toMatchObject({
      port: 9000,
      host: '127.0.0.1',
    });
  });

  it('refuses a body limit that is not a positive whole number', () => {
    expect(problemsOf(producerSettings, { TABLELANE_MAX_BODY_BYTES: '1MB' })).toEqual([
      'TABLELANE_MAX_BODY_BYTES must be a positive whole number, not "1MB"',
    ]);
  });

  it('says where the API keys are, an empty value as unset', () => {
    expect(apiKeySettings({})).toEqual({ json: undefined, source: 'TABLELANE_API_KEYS' });
    expect(apiKeySettings({ TABLELANE_API_KEYS: '[]' })).toEqual({
      json: '[]',
      source: 'TABLELANE_API_KEYS',
    });
  });
});

describe('the other accessors', () => {
  it('read the table file, the CLI settings and the PostgreSQL isolation', () => {
    expect(configPath({})).toBe('tablelane.yaml');
    expect(configPath({ TABLELANE_CONFIG: '/etc/tablelane/tablelane.yaml' })).toBe(
      '/etc/tablelane/tablelane.yaml',
    );
    expect(cliSettings({})).toEqual({ sinkGroup: 'tablelane-sink', lanesTopic: undefined });
    expect(cliSettings({ TABLELANE_SINK_GROUP: 'g', TABLELANE_TOPIC_LANES: 'l' })).toEqual({
      sinkGroup: 'g',
      lanesTopic: 'l',
    });
    expect(postgresSettings({})).toEqual({ isolation: 'read committed' });
    expect(postgresSettings({ TABLELANE_PG_ISOLATION: 'serializable' })).toEqual({
      isolation: 'serializable',
    });
    expect(problemsOf(postgresSettings, { TABLELANE_PG_ISOLATION: 'snapshot' })).toEqual([
      'TABLELANE_PG_ISOLATION must be read committed or serializable, not "snapshot"',
    ]);
  });

  it('accept the log levels pino does, and refuse the others', () => {
    expect(logLevel({})).toBe('info');
    expect(logLevel({ LOG_LEVEL: 'WARN' })).toBe('WARN');
    expect(logLevel({ LOG_LEVEL: 'silent' })).toBe('silent');
    expect(problemsOf(logLevel, { LOG_LEVEL: 'verbose' })).toEqual([
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace or silent, not "verbose"',
    ]);
  });
});
