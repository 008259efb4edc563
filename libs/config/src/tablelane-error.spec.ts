import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error';
import {
  CHANGE_ERROR_CODES,
  isTablelaneErrorCode,
  reportedCode,
  TABLELANE_ERROR_CODES,
  TablelaneError,
} from './tablelane-error';

class Example extends TablelaneError {
  readonly code = 'USAGE';
  readonly retriable = false;
  constructor(options?: { cause?: unknown }) {
    super('an example', options);
    this.name = 'Example';
  }
}

describe('TablelaneError', () => {
  it('is an Error with a code, retriable, and the cause passed to Error', () => {
    const cause = new Error('underneath');
    const error = new Example({ cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: 'USAGE', retriable: false, cause, message: 'an example' });
    expect(Object.hasOwn(new Example(), 'cause')).toBe(false);
  });

  it('is the base of ConfigError, which never retries', () => {
    const error = new ConfigError('tablelane.yaml', ['tables: required'], { cause: 'yaml' });
    expect(error).toBeInstanceOf(TablelaneError);
    expect(error).toMatchObject({
      code: 'CONFIG_INVALID',
      retriable: false,
      cause: 'yaml',
      name: 'ConfigError',
    });
  });
});

describe('error codes', () => {
  it('lists each code once, the change rejections among them', () => {
    expect(new Set(TABLELANE_ERROR_CODES).size).toBe(TABLELANE_ERROR_CODES.length);
    for (const code of CHANGE_ERROR_CODES) expect(isTablelaneErrorCode(code)).toBe(true);
  });

  it("tells tablelane's codes from those another system reported", () => {
    expect(isTablelaneErrorCode('LANE_FENCED')).toBe(true);
    expect(isTablelaneErrorCode(reportedCode('23505'))).toBe(false);
    expect(isTablelaneErrorCode(undefined)).toBe(false);
  });
});
