import { existsSync } from 'node:fs';
import { posix, resolve } from 'node:path';
import { DockerfileParser, type Cmd, type Copy, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { ROOT, readText, sourceOfBuiltScript } from './support/repo';

// No Docker engine here or in CI: the Dockerfile is checked by a parser and a linter
// (dockerfile-ast, dockerfile-utils), and what it copies and runs is checked against the repo.
// The recipe itself (npm ci, build, npm ci --omit=dev, start) was run by hand outside Docker.

const text = readText('Dockerfile');
const dockerfile = DockerfileParser.parse(text);

interface Stage {
  name: string | null;
  image: string;
  instructions: Instruction[];
}

/** FROM images with ARG defaults substituted, and the instructions of each stage. */
function stages(): Stage[] {
  const args = new Map<string, string>();
  for (const arg of dockerfile.getInitialARGs())
    for (const p of arg.getProperties()) args.set(p.getName(), p.getValue() ?? '');
  const result: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const [image, as, name] = instruction.getArguments().map((a) => a.getValue());
      result.push({
        image: image.replace(
          /\$\{(\w+)\}|\$(\w+)/g,
          (_m, a?: string, b?: string) => args.get((a ?? b)!) ?? '',
        ),
        name: as?.toUpperCase() === 'AS' ? name : null,
        instructions: [],
      });
    } else if (result.length > 0) {
      result[result.length - 1].instructions.push(instruction);
    }
  }
  return result;
}

const all = stages();
const runtime = all[all.length - 1];
const build = all[0];
const args = (i: Instruction): string[] => i.getArguments().map((a) => a.getValue());
const of = (stage: Stage, keyword: string): Instruction[] =>
  stage.instructions.filter((i) => i.getKeyword() === keyword);
const runs = (stage: Stage): string[] => of(stage, 'RUN').map((i) => args(i).join(' '));

/** The COPY instructions of a stage as sources, destination (absolute) and --from. */
function copies(stage: Stage): { from?: string; sources: string[]; dest: string }[] {
  let workdir = '/';
  const result: { from?: string; sources: string[]; dest: string }[] = [];
  for (const i of stage.instructions) {
    if (i.getKeyword() === 'WORKDIR') workdir = posix.resolve(workdir, args(i)[0]);
    if (i.getKeyword() !== 'COPY') continue;
    const from = (i as Copy)
      .getFlags()
      .find((f) => f.getName() === 'from')
      ?.getValue();
    const parts = args(i);
    result.push({
      ...(from ? { from } : {}),
      sources: parts.slice(0, -1),
      dest: posix.resolve(workdir, parts.at(-1)!),
    });
  }
  return result;
}

/** .dockerignore patterns as used here: names, folders and `*` within one path segment. */
function ignoredByDockerignore(path: string): boolean {
  return readText('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .some((pattern) => {
      const re = new RegExp(
        `^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`,
      );
      return re.test(path);
    });
}

describe('Dockerfile', () => {
  it('has no problem that the Dockerfile linter reports', () => {
    const problems = validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    expect(problems).toEqual([]);
  });

  it('builds in one stage and runs from another, both on Node 24 (the .nvmrc major)', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    const nodeMajor = readText('.nvmrc').trim().split('.')[0];
    for (const stage of all) {
      expect(stage.image, `FROM ${stage.image}`).toMatch(
        new RegExp(`^node:${nodeMajor}(\\.[\\d.]+)?-(bookworm-slim|alpine)(@sha256:[0-9a-f]{64})?$`),
      );
    }
    expect(build.name).toBe('build');
  });

  it('build stage: installs with npm ci from the lock file and runs npm run build', () => {
    expect(copies(build)[0].sources).toEqual(['package.json', 'package-lock.json']);
    expect(runs(build).some((r) => /^npm ci\b/.test(r) && !r.includes('--omit=dev'))).toBe(true);
    expect(runs(build)).toContain('npm run build');
  });

  it('build stage: copies everything tsconfig.build.json compiles and the tsconfig it extends', () => {
    const copied = copies(build).flatMap((c) => c.sources);
    const buildConfig = JSON.parse(readText('tsconfig.build.json')) as { extends: string; include: string[] };
    expect(copied).toContain('tsconfig.build.json');
    expect(copied).toContain(posix.normalize(buildConfig.extends));
    for (const include of buildConfig.include) expect(copied).toContain(include.split('/')[0]);
  });

  it('runtime stage: production dependencies only, the built dist/ from the build stage', () => {
    expect(runs(runtime).some((r) => /^npm ci\b.*--omit=dev/.test(r))).toBe(true);
    expect(copies(runtime)).toContainEqual({ from: 'build', sources: ['/app/dist'], dest: '/app/dist' });
    expect(of(runtime, 'WORKDIR').map((i) => args(i)[0])).toEqual(['/app']);
  });

  it('runtime stage: /app/tablelane.yaml is the default contracts file', () => {
    expect(copies(runtime)).toContainEqual({ sources: ['tablelane.yaml'], dest: '/app/tablelane.yaml' });
    const env = of(runtime, 'ENV').flatMap((i) => args(i));
    expect(env).toContain('TABLELANE_CONFIG=/app/tablelane.yaml');
    expect(env).toContain('NODE_ENV=production');
  });

  it('runs as a numeric non-root user, so Kubernetes can verify runAsNonRoot', () => {
    const users = of(runtime, 'USER').map((i) => args(i)[0]);
    expect(users).toHaveLength(1);
    const [uid] = users[0].split(':');
    expect(uid).toMatch(/^\d+$/);
    expect(Number(uid)).toBeGreaterThan(0);
    // Nothing after USER runs as root again, and nothing after it installs or copies.
    const afterUser = runtime.instructions.slice(runtime.instructions.indexOf(of(runtime, 'USER')[0]));
    expect(afterUser.map((i) => i.getKeyword())).not.toContain('RUN');
  });

  it('stops on SIGTERM and starts the sink by default, with a path that the build writes', () => {
    expect(of(runtime, 'STOPSIGNAL').map((i) => args(i)[0])).toEqual(['SIGTERM']);
    const cmds = dockerfile.getCMDs() as Cmd[];
    expect(cmds).toHaveLength(1);
    // Exec form: node is PID 1 and receives SIGTERM itself (a shell would not pass it on).
    const cmd = cmds[0].getJSONStrings().map((s) => s.getJSONValue());
    expect(cmd).toEqual(['node', 'dist/apps/sink/src/main.js']);
    expect(existsSync(sourceOfBuiltScript(cmd[1])), `${cmd[1]} has no source`).toBe(true);
    expect(dockerfile.getENTRYPOINTs()).toHaveLength(0);
  });

  it('copies only files that exist and that .dockerignore lets into the build context', () => {
    const sources = all
      .flatMap((stage) => copies(stage).filter((c) => c.from === undefined))
      .flatMap((c) => c.sources);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(resolve(ROOT, source)), `${source} is missing`).toBe(true);
      expect(ignoredByDockerignore(source), `${source} is excluded by .dockerignore`).toBe(false);
    }
    for (const heavy of ['node_modules', 'dist', '.git', '.stack', '.tools'])
      expect(ignoredByDockerignore(heavy), `${heavy} should be excluded`).toBe(true);
  });
});
