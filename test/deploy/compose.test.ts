import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { APPS, ROOT, findCommand, readText, sourceOfBuiltScript, yamlDocuments } from './support/repo';

// Debian's docker-compose (v1) parses and validates the file without a Docker engine.
// CI installs it with apt-get (docker-compose); where it is absent this suite says so and skips.
const dockerCompose = findCommand('docker-compose');

interface ComposeService {
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
}

const compose = yamlDocuments(readText('docker-compose.yml'), 'docker-compose.yml')[0] as {
  services: Record<string, ComposeService>;
};

describe('docker-compose.yml', () => {
  it.skipIf(!dockerCompose)(
    `passes docker-compose config${dockerCompose ? '' : ' (skipped: docker-compose is not installed)'}`,
    () => {
      const run = spawnSync(dockerCompose!, ['-f', 'docker-compose.yml', 'config', '-q'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
    },
  );

  it.each(APPS)(
    'the %s service is built from the Dockerfile and runs a path that the build writes',
    (app) => {
      const service = compose.services[app];
      expect(service.build).toBe('.');
      const [node, script] = service.command!;
      expect(node).toBe('node');
      expect(script).toBe(`dist/apps/${app}/src/main.js`);
      expect(existsSync(sourceOfBuiltScript(script))).toBe(true);
    },
  );

  it('the apps read the contracts file where the image puts it', () => {
    for (const app of APPS)
      expect(compose.services[app].environment?.TABLELANE_CONFIG).toBe('/app/tablelane.yaml');
    expect(readText('Dockerfile')).toContain('COPY tablelane.yaml ./tablelane.yaml');
  });
});
