import { TablelaneError } from '@app/config';

/** A command line the user got wrong: the usage is printed and the exit code is 2. */
export class UsageError extends TablelaneError {
  readonly code = 'USAGE';
  readonly retriable = false;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `--name value`, `--name=value` and bare `--name` (true), in the order given. */
export class CliArgs {
  private readonly values = new Map<string, string[]>();
  private readonly used = new Set<string>();

  constructor(argv: string[]) {
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!;
      if (!arg.startsWith('--')) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      let value = eq < 0 ? undefined : arg.slice(eq + 1);
      if (value === undefined && i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) value = argv[++i];
      this.values.set(name, [...(this.values.get(name) ?? []), value ?? 'true']);
    }
  }

  flag(name: string): boolean {
    this.used.add(name);
    return this.values.has(name);
  }

  text(name: string): string | undefined {
    this.used.add(name);
    return this.values.get(name)?.at(-1);
  }

  /** Repeated or comma-separated values: `--code A --code B` or `--code A,B`. */
  list(name: string): string[] | undefined {
    this.used.add(name);
    const all = this.values.get(name)?.flatMap((v) => v.split(',').filter(Boolean));
    return all && all.length > 0 ? all : undefined;
  }

  positiveInt(name: string): number | undefined {
    const raw = this.text(name);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n <= 0)
      throw new UsageError(`--${name} must be a positive whole number, not ${raw}`);
    return n;
  }

  offset(name: string): bigint | undefined {
    const raw = this.text(name);
    if (raw === undefined) return undefined;
    if (!/^\d+$/.test(raw)) throw new UsageError(`--${name} must be an offset (a whole number), not ${raw}`);
    return BigInt(raw);
  }

  /** An ISO-8601 time or epoch milliseconds. */
  time(name: string): number | undefined {
    const raw = this.text(name);
    if (raw === undefined) return undefined;
    const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
    if (!Number.isFinite(ms))
      throw new UsageError(`--${name} must be an ISO-8601 time or epoch ms, not ${raw}`);
    return ms;
  }

  /** Refuses flags no part of the command asked about (a typo must not widen a replay). */
  rejectUnknown(): void {
    const unknown = [...this.values.keys()].filter((k) => !this.used.has(k));
    if (unknown.length > 0) throw new UsageError(`unknown option ${unknown.map((u) => `--${u}`).join(', ')}`);
  }
}
