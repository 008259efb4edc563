/** Gateway settings from the environment, beside runtimeSettings() and the contracts file. */
export interface ProducerSettings {
  port: number;
  /** Largest accepted request body; bigger ones get 413. */
  maxBodyBytes: number;
}

export function producerSettings(env: NodeJS.ProcessEnv = process.env): ProducerSettings {
  return {
    port: positive(env.PORT, 8080, 'PORT'),
    maxBodyBytes: positive(env.TABLELANE_MAX_BODY_BYTES, 1_000_000, 'TABLELANE_MAX_BODY_BYTES'),
  };
}

function positive(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`${name} must be a positive whole number, not ${JSON.stringify(raw)}`);
  return n;
}
