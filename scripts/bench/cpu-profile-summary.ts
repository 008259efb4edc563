import { readFileSync } from 'node:fs';

/**
 * `node dist/scripts/bench/cpu-profile-summary.js <file.cpuprofile> [top]`: where a process
 * spent its CPU, by function (self time) and by module, from a V8 profile as written by
 * `NODE_OPTIONS="--cpu-prof --cpu-prof-dir=<dir>"` (every app the bench or the demo starts
 * inherits it; each writes its profile when it exits).
 */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

function summarize(profile: CpuProfile, top: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!;
    const micros = profile.timeDeltas[i] ?? 0;
    total += micros;
    const where = frame.url.replace(/.*node_modules\//, '').replace(/.*\/dist\//, '') || '(native)';
    const fn = `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + micros);
    const module = where.startsWith('@') ? where.split('/').slice(0, 2).join('/') : where.split('/')[0]!;
    byModule.set(module, (byModule.get(module) ?? 0) + micros);
  });
  const table = (rows: Map<string, number>) =>
    [...rows]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => `${((100 * micros) / total).toFixed(1).padStart(5)} %  ${name}`)
      .join('\n');
  return `${(total / 1e6).toFixed(1)} s sampled\n\nby function (self time):\n${table(byFunction)}\n\nby module:\n${table(byModule)}\n`;
}

const [file, top = '25'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: cpu-profile-summary <file.cpuprofile> [top]\n');
  process.exit(2);
}
process.stdout.write(summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(top)));
