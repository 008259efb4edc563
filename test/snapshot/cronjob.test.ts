import { parseConfig } from '@app/config';
import { CliArgs } from '@app/cli/cli-args';
import { snapshotOptions } from '@app/cli/snapshot.command';
import { CronJob, type ICronJob } from 'kubernetes-models/batch/v1';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { BASE, loadKustomization, validateManifest, type Manifest } from '../deploy/support/manifests';
import { secretFileProblems, serviceAccountProblems } from '../deploy/support/pods';

const COMPONENT = 'deploy/kubernetes/components/snapshot';
const base = loadKustomization(BASE);
const component = loadKustomization(COMPONENT);
const cronJob = component.find((o) => o.kind === 'CronJob') as Manifest & ICronJob;
/** The Job the CronJob makes, as the deploy suite's pod checks read Jobs. */
const job = { ...cronJob, kind: 'Job', spec: cronJob.spec!.jobTemplate.spec } as unknown as Manifest;
const container = cronJob.spec!.jobTemplate.spec!.template.spec!.containers[0]!;

describe('snapshot CronJob example (components/snapshot)', () => {
  it('validates, never runs two at once, and runs as the apps do (non-root, their ServiceAccount)', () => {
    (new CronJob(cronJob as never) as unknown as { validate(): void }).validate();
    for (const o of component.filter((x) => x.kind !== 'CronJob')) validateManifest(o);
    expect(cronJob.spec).toMatchObject({ concurrencyPolicy: 'Forbid', timeZone: 'Etc/UTC' });
    expect(serviceAccountProblems([...base, job])).toEqual([]);
    expect(cronJob.spec!.jobTemplate.spec!.template.spec!.securityContext!.runAsNonRoot).toBe(true);
  });

  it('gets the source URL as a mounted file only, and the rest from the apps ConfigMap', () => {
    expect(secretFileProblems([...base, ...component, job])).toEqual([]);
    expect(container.env!.map((e) => e.name)).toContain('SNAPSHOT_SOURCE_URL_FILE');
    expect(container.envFrom).toEqual([{ configMapRef: { name: 'tablelane-config' } }]);
  });

  it('runs a snapshot command the CLI accepts, of a merge table of the base contracts', () => {
    const [node, script, command, ...flags] = container.command!;
    expect([node, script, command]).toEqual(['node', 'dist/apps/cli/src/main.js', 'snapshot']);
    const data = (base.find((o) => o.kind === 'ConfigMap') as unknown as { data: Record<string, string> })
      .data;
    const config = parseConfig(parse(data['tablelane.yaml']!), data, `${BASE}/tablelane.yaml`);
    const args = new CliArgs(flags);
    const options = snapshotOptions(args, config, { SNAPSHOT_SOURCE_URL: 'postgres://u@db/shop' });
    args.flag('json');
    args.rejectUnknown();
    expect(options.contract.name).toBe('public.sales');
    expect(options).toMatchObject({
      wait: true,
      source: { kind: 'postgres', from: { schema: 'public', table: 'sales' } },
    });
  });

  it('bounds the heap well below the memory limit', () => {
    const heap = /--max-old-space-size=(\d+)/.exec(
      container.env!.find((e) => e.name === 'NODE_OPTIONS')!.value!,
    );
    const limit = /^(\d+)Mi$/.exec(String(container.resources!.limits!.memory));
    expect(Number(heap![1]) * 1.5).toBeLessThan(Number(limit![1]));
  });
});
