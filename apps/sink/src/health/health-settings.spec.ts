import { describe, expect, it } from 'vitest';
import { DEFAULT_RESTART_AFTER_MS, DEFAULT_STALL_THRESHOLD_MS, healthSettings } from './health-settings';

describe('healthSettings', () => {
  it('defaults to a minute to stall and ten minutes to restart', () => {
    expect(healthSettings({})).toEqual({ stallThresholdMs: 60_000, restartAfterMs: 600_000 });
    expect(DEFAULT_STALL_THRESHOLD_MS).toBe(60_000);
    expect(DEFAULT_RESTART_AFTER_MS).toBe(600_000);
  });

  it('reads both overrides', () => {
    expect(
      healthSettings({ TABLELANE_STALL_THRESHOLD_MS: '3000', TABLELANE_STALL_RESTART_MS: '9000' }),
    ).toEqual({ stallThresholdMs: 3000, restartAfterMs: 9000 });
  });

  it('a stall threshold above the default restart bound raises the restart bound with it', () => {
    expect(healthSettings({ TABLELANE_STALL_THRESHOLD_MS: '900000' })).toEqual({
      stallThresholdMs: 900_000,
      restartAfterMs: 900_000,
    });
  });

  it.each(['0', '-5', '1.5', 'soon'])('refuses %s, naming the variable', (value) => {
    expect(() => healthSettings({ TABLELANE_STALL_THRESHOLD_MS: value })).toThrow(
      /TABLELANE_STALL_THRESHOLD_MS must be a positive whole number/,
    );
  });

  it('refuses a restart bound below the stall threshold', () => {
    expect(() =>
      healthSettings({ TABLELANE_STALL_THRESHOLD_MS: '5000', TABLELANE_STALL_RESTART_MS: '4000' }),
    ).toThrow(/must not be below TABLELANE_STALL_THRESHOLD_MS/);
  });
});
