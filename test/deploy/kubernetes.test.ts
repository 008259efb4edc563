import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative, resolve } from 'node:path';
import { ENVIRONMENT, parseConfig, producerSettings, routerSettings, sinkSettings } from '@app/config';
import type { IScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { IContainer, IService } from 'kubernetes-models/v1';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseApiKeys } from '@app/producer/auth/api-keys';
import {
  BASE,
  OVERLAY,
  byKind,
  kustomizationInputs,
  loadKustomization,
  named,
  readKustomization,
  renderWithKubectl,
  validateManifest,
  type Manifest,
} from './support/manifests';
import {
  environmentOf,
  secretFileProblems,
  serviceAccountProblems,
  triggerAuthenticationProblems,
  workloadsIn,
} from './support/pods';
import {
  APPS,
  CHANGES_PARTITIONS,
  ROOT,
  environmentNamesReadByCode,
  findCommand,
  readText,
  sourceOfBuiltScript,
  type AppName,
} from './support/repo';

// Offline: the schemas come from npm packages (kubernetes-models, @kubernetes-models/keda),
// and kubectl kustomize, where installed, renders local files only.

const objects = loadKustomization(BASE);
const PROVISION = 'deploy/kubernetes/components/provision';
const KAFKA_SASL_SSL = 'deploy/kubernetes/components/kafka-sasl-ssl';
const KAFKA_CA = 'deploy/kubernetes/components/kafka-ca';
/** The base with the provisioning Job, as an overlay without Kafka components renders it. */
const withJob = (): Manifest[] => [...objects, ...loadKustomization(PROVISION)];
const deployment = (app: AppName): IDeployment =>
  named<IDeployment>(objects, 'Deployment', `tablelane-${app}`);
const container = (app: AppName): IContainer => deployment(app).spec!.template.spec!.containers[0];
const envOf = (app: AppName): Map<string, string | undefined> =>
  new Map((container(app).env ?? []).map((e) => [e.name, e.value]));
const configData = (): Record<string, string> =>
  named<{ data: Record<string, string> }>(objects, 'ConfigMap', 'tablelane-config').data;
// The topics' defaults come from the environment the ConfigMap gives the pods.
const contracts = () =>
  parseConfig(parse(configData()['tablelane.yaml']), configData(), `${BASE}/tablelane.yaml`);
const scaledObject = (): IScaledObject => named<IScaledObject>(objects, 'ScaledObject', 'tablelane-sink');

/** `setTimeout(() => process.exit(1), 20_000)` in an app's main.ts: its own bound on draining. */
function hardExitMs(app: AppName): number {
  const found = readText(`apps/${app}/src/main.ts`).match(
    /setTimeout\(\(\) => process\.exit\(1\), ([\d_]+)\)/,
  );
  if (!found) throw new Error(`apps/${app}/src/main.ts: no forced exit after SIGTERM found`);
  return Number(found[1].replace(/_/g, ''));
}

/** The port an app listens on without PORT set, from the settings it reads (libs/config). */
function defaultPort(app: AppName): number {
  return { producer: producerSettings({}), router: routerSettings({}), sink: sinkSettings({}) }[app].port;
}

/** Kubernetes quantities as used here: plain numbers and binary suffixes. */
function bytes(quantity: string | number): number {
  const found = String(quantity).match(/^(\d+)(Ki|Mi|Gi)?$/);
  if (!found) throw new Error(`unsupported quantity ${quantity}`);
  return Number(found[1]) * { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[found[2] ?? '']!;
}

const selects = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  selector !== undefined &&
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/** Every name an object refers to resolves to an object of the set, and every key to a key. */
function checkReferences(set: Manifest[]): string[] {
  const problems: string[] = [];
  const keysOf = (kind: string, name: string): string[] | undefined => {
    const o = set.find((x) => x.kind === kind && x.metadata.name === name) as
      { data?: object; stringData?: object } | undefined;
    return o && Object.keys({ ...o.data, ...o.stringData });
  };
  const deployments = byKind<IDeployment & Manifest>(set, 'Deployment');
  for (const d of deployments) {
    const pod = d.spec!.template.spec!;
    const at = `Deployment ${d.metadata.name}`;
    for (const c of pod.containers) {
      for (const from of c.envFrom ?? []) {
        if (from.configMapRef && !keysOf('ConfigMap', from.configMapRef.name!))
          problems.push(`${at}: envFrom ConfigMap ${from.configMapRef.name} is missing`);
        if (from.secretRef && !keysOf('Secret', from.secretRef.name!))
          problems.push(`${at}: envFrom Secret ${from.secretRef.name} is missing`);
      }
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
        const kind = e.valueFrom?.secretKeyRef ? 'Secret' : 'ConfigMap';
        if (ref && !keysOf(kind, ref.name!)?.includes(ref.key))
          problems.push(`${at}: ${e.name} refers to missing ${kind} key ${ref.name}/${ref.key}`);
      }
      for (const mount of c.volumeMounts ?? [])
        if (!pod.volumes?.some((v) => v.name === mount.name)) problems.push(`${at}: no volume ${mount.name}`);
    }
    for (const v of pod.volumes ?? []) {
      if (!v.configMap) continue;
      const keys = keysOf('ConfigMap', v.configMap.name!);
      for (const item of v.configMap.items ?? [])
        if (!keys?.includes(item.key))
          problems.push(`${at}: volume ${v.name} wants ${v.configMap.name}/${item.key}, which is missing`);
    }
  }
  const podsOf = (selector: Record<string, string> | undefined) =>
    deployments.filter((d) => selects(selector, d.spec!.template.metadata?.labels));
  for (const s of byKind<IService & Manifest>(set, 'Service')) {
    const targets = podsOf(s.spec!.selector);
    if (targets.length !== 1)
      problems.push(`Service ${s.metadata.name} selects ${targets.length} Deployments`);
    for (const port of s.spec!.ports ?? [])
      if (
        typeof port.targetPort === 'string' &&
        !targets.some((d) =>
          d.spec!.template.spec!.containers.some((c) => c.ports?.some((p) => p.name === port.targetPort)),
        )
      )
        problems.push(`Service ${s.metadata.name}: no container port named ${port.targetPort}`);
  }
  for (const p of byKind<IPodDisruptionBudget & Manifest>(set, 'PodDisruptionBudget'))
    if (podsOf(p.spec!.selector!.matchLabels).length !== 1)
      problems.push(`PodDisruptionBudget ${p.metadata.name} must select exactly one Deployment`);
  const scaled = [
    ...byKind<IHorizontalPodAutoscaler & Manifest>(set, 'HorizontalPodAutoscaler').map(
      (h) => h.spec!.scaleTargetRef.name,
    ),
    ...byKind<IScaledObject & Manifest>(set, 'ScaledObject').map((s) => s.spec.scaleTargetRef.name),
  ];
  for (const name of scaled) {
    const target = deployments.find((d) => d.metadata.name === name);
    if (!target) problems.push(`an autoscaler targets missing Deployment ${name}`);
    // The autoscaler owns the count: a replicas field would be reapplied by every kubectl apply.
    else if (target.spec!.replicas !== undefined)
      problems.push(`Deployment ${name} is autoscaled but sets replicas`);
  }
  if (new Set(scaled).size !== scaled.length) problems.push('a Deployment has two autoscalers');
  return problems;
}

describe('kustomize base', () => {
  it('every object validates against the Kubernetes and KEDA schemas', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      [
        'ConfigMap/tablelane-config',
        'Secret/tablelane-secrets',
        'ServiceAccount/tablelane',
        ...APPS.flatMap((app) => [
          `Deployment/tablelane-${app}`,
          `Service/tablelane-${app}`,
          `PodDisruptionBudget/tablelane-${app}`,
        ]),
        'HorizontalPodAutoscaler/tablelane-producer',
        'ScaledObject/tablelane-sink',
      ].sort(),
    );
    for (const o of objects) validateManifest(o);
  });

  it('the schemas do catch a wrong manifest (the validator is not a no-op)', () => {
    const broken = structuredClone(deployment('sink')) as unknown as Manifest & IDeployment;
    (broken.spec!.template.spec!.containers[0] as { ports: unknown }).ports = [{ containerPort: '8082' }];
    expect(() => validateManifest(broken)).toThrow(/containerPort/);
    const so = structuredClone(scaledObject()) as unknown as Manifest & IScaledObject;
    (so.spec as { maxReplicaCount: unknown }).maxReplicaCount = '8';
    expect(() => validateManifest(so)).toThrow(/maxReplicaCount/);
  });

  it('lists every manifest in its folder, and every file it reads exists', () => {
    const inputs = kustomizationInputs(BASE);
    for (const input of inputs) expect(existsSync(resolve(ROOT, input)), input).toBe(true);
    const files = readdirSync(resolve(ROOT, BASE)).filter((f) => f !== 'kustomization.yaml');
    expect(files.map((f) => `${BASE}/${f}`).sort()).toEqual([...inputs].sort());
  });

  it('every reference resolves: ConfigMap and Secret keys, volumes, selectors, autoscaler targets', () => {
    expect(checkReferences(objects)).toEqual([]);
  });

  it('the example overlay reads only files that exist and merges into a generator of the base', () => {
    for (const input of kustomizationInputs(OVERLAY))
      expect(existsSync(resolve(ROOT, input)), input).toBe(true);
    const baseGenerators = (readKustomization(BASE).configMapGenerator ?? []).map((g) => g.name);
    for (const g of readKustomization(OVERLAY).configMapGenerator ?? []) {
      expect(g.behavior).toBe('merge');
      expect(baseGenerators).toContain(g.name);
    }
  });
});

const kubectl = findCommand('kubectl');
const kustomizeTitle = kubectl
  ? 'kubectl kustomize'
  : 'kubectl kustomize (skipped: kubectl is not installed)';
/**
 * A throwaway overlay of the base with every component, in the order they must come (kustomize
 * reads bases and components by relative path only).
 */
function allComponentsOverlay(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tablelane-kustomize-'));
  const rel = (p: string) => relative(dir, resolve(ROOT, p));
  writeFileSync(
    join(dir, 'kustomization.yaml'),
    [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      `resources: [${rel(BASE)}]`,
      `components: [${[PROVISION, KAFKA_SASL_SSL, KAFKA_CA].map(rel).join(', ')}]`,
    ].join('\n'),
  );
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

describe.skipIf(!kubectl)(kustomizeTitle, () => {
  it.each([BASE, OVERLAY, 'every component'])(
    'renders %s; every rendered object validates and every reference resolves, secrets only as files',
    (which) => {
      const overlay = which === 'every component' ? allComponentsOverlay() : undefined;
      try {
        const { objects: rendered, error } = renderWithKubectl(kubectl!, overlay?.dir ?? which);
        expect(error).toBeUndefined();
        expect(rendered.length).toBeGreaterThanOrEqual(objects.length);
        for (const o of rendered) validateManifest(o);
        expect(checkReferences(rendered)).toEqual([]);
        expect(secretFileProblems(rendered)).toEqual([]);
        expect(serviceAccountProblems(rendered)).toEqual([]);
        expect(triggerAuthenticationProblems(rendered)).toEqual([]);
        // The generated ConfigMap carries a content hash, so a change rolls the Deployments.
        expect(byKind(rendered, 'ConfigMap').map((c) => c.metadata.name)).toEqual([
          expect.stringMatching(/^tablelane-config-[a-z0-9]{10}$/),
        ]);
      } finally {
        overlay?.remove();
      }
    },
  );

  it('with the Kafka components, every pod (the Job too) mounts the SASL password and the CA, and KEDA uses both', () => {
    const overlay = allComponentsOverlay();
    try {
      const { objects: rendered } = renderWithKubectl(kubectl!, overlay.dir);
      const workloads = workloadsIn(rendered);
      expect(workloads.map((w) => w.at).sort()).toEqual(
        [...APPS.map((app) => `Deployment tablelane-${app}`), 'Job tablelane-provision'].sort(),
      );
      for (const { at, pod } of workloads) {
        const env = environmentOf(rendered, pod.containers[0]!);
        expect(env.get('KAFKA_SSL'), at).toBe('true');
        expect(env.get('KAFKA_SASL_PASSWORD_FILE'), at).toBeTruthy();
        expect(env.get('KAFKA_SSL_CA_LOCATION'), at).toBe('/etc/tablelane/kafka-ca/ca.crt');
        expect(
          pod.containers[0]!.volumeMounts!.map((m) => m.mountPath),
          at,
        ).toEqual(expect.arrayContaining(['/var/run/secrets/tablelane-kafka', '/etc/tablelane/kafka-ca']));
      }
      const [trigger] = named<IScaledObject>(rendered, 'ScaledObject', 'tablelane-sink').spec.triggers;
      expect(trigger.metadata).toMatchObject({ sasl: 'scram_sha512', tls: 'enable' });
      expect(trigger.authenticationRef).toEqual({ name: 'tablelane-kafka' });
      const auth = named<{ spec: { secretTargetRef: { parameter: string }[] } }>(
        rendered,
        'TriggerAuthentication',
        'tablelane-kafka',
      );
      expect(auth.spec.secretTargetRef.map((r) => r.parameter).sort()).toEqual(['ca', 'password']);
    } finally {
      overlay.remove();
    }
  });

  it('the example overlay names a real IAM role and no S3 keys', () => {
    const { objects: rendered } = renderWithKubectl(kubectl!, OVERLAY);
    const account = named<Manifest>(rendered, 'ServiceAccount', 'tablelane');
    expect(account.metadata.annotations?.['eks.amazonaws.com/role-arn']).toMatch(
      /^arn:aws:iam::\d{12}:role\/[\w+=,.@-]+$/,
    );
    expect(account.metadata.annotations?.['eks.amazonaws.com/role-arn']).not.toContain('REPLACE_ME');
    for (const { at, pod } of workloadsIn(rendered))
      expect(
        [...environmentOf(rendered, pod.containers[0]!).keys()].filter(
          (k) => k.startsWith('S3_ACCESS') || k.startsWith('S3_SECRET'),
        ),
        at,
      ).toEqual([]);
  });

  it('the example overlay sets the namespace and the image of every app', () => {
    const { objects: rendered } = renderWithKubectl(kubectl!, OVERLAY);
    const { namespace, images } = readKustomization(OVERLAY);
    for (const o of rendered.filter((x) => x.kind !== 'Namespace'))
      expect((o.metadata as { namespace?: string }).namespace, `${o.kind}/${o.metadata.name}`).toBe(
        namespace,
      );
    for (const d of byKind<IDeployment>(rendered, 'Deployment'))
      expect(d.spec!.template.spec!.containers[0].image).toBe(`${images![0].newName}:${images![0].newTag}`);
  });
});

describe.each(APPS)('Deployment tablelane-%s', (app) => {
  it('runs the app from a path that the build writes', () => {
    const command = container(app).command!;
    expect(command).toEqual(['node', `dist/apps/${app}/src/main.js`]);
    expect(existsSync(sourceOfBuiltScript(command[1]))).toBe(true);
  });

  it('listens where its probes, Service and Prometheus annotations look (and where the code defaults)', () => {
    const port = container(app).ports!.find((p) => p.name === 'http')!.containerPort;
    expect(port).toBe(defaultPort(app));
    expect(envOf(app).get('PORT')).toBe(String(port));
    expect(deployment(app).spec!.template.metadata!.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(port),
      'prometheus.io/path': '/metrics',
    });
  });

  it('probes liveness on /healthz and readiness on /readyz, with a startup probe for slow starts', () => {
    const c = container(app);
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
    // The port opens only after Kafka is joined: give startup at least a minute.
    const startup = c.startupProbe!;
    expect((startup.periodSeconds ?? 10) * (startup.failureThreshold ?? 3)).toBeGreaterThanOrEqual(60);
  });

  it('requests and limits CPU and memory', () => {
    const { requests, limits } = container(app).resources!;
    for (const r of ['cpu', 'memory']) {
      expect(requests?.[r], `requests.${r}`).toBeDefined();
      expect(limits?.[r], `limits.${r}`).toBeDefined();
    }
    expect(bytes(limits!.memory!)).toBeGreaterThanOrEqual(bytes(requests!.memory!));
  });

  it('meets the restricted Pod Security Standard, with a read-only root file system', () => {
    const pod = deployment(app).spec!.template.spec!;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.securityContext!.runAsUser).toBeGreaterThan(0);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.hostNetwork ?? false).toBe(false);
    expect(pod.volumes?.every((v) => v.hostPath === undefined)).toBe(true);
    for (const c of pod.containers)
      expect(c.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
  });

  it('has a PodDisruptionBudget that lets one pod go at a time and never blocks on unready pods', () => {
    const pdb = named<IPodDisruptionBudget>(objects, 'PodDisruptionBudget', `tablelane-${app}`);
    expect(pdb.spec).toMatchObject({ maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    expect(pdb.spec!.selector!.matchLabels).toEqual(deployment(app).spec!.selector.matchLabels);
  });

  it('reads its contracts from the mounted ConfigMap, where TABLELANE_CONFIG points', () => {
    const mount = container(app).volumeMounts!.find((m) => m.name === 'config')!;
    const volume = deployment(app).spec!.template.spec!.volumes!.find((v) => v.name === 'config')!;
    expect(posix.join(mount.mountPath, volume.configMap!.items![0].path)).toBe(configData().TABLELANE_CONFIG);
    expect(volume.configMap!.items![0].key).toBe('tablelane.yaml');
  });
});

describe('graceful shutdown timing', () => {
  const grace = (app: AppName) => deployment(app).spec!.template.spec!.terminationGracePeriodSeconds!;

  it('the sink gets its whole drain (TABLELANE_SHUTDOWN_GRACE_MS) plus time to leave the group', () => {
    const codeDefault = sinkSettings({}).shutdownGraceMs;
    const drainMs = Number(envOf('sink').get('TABLELANE_SHUTDOWN_GRACE_MS') ?? codeDefault);
    expect(drainMs).toBeGreaterThanOrEqual(codeDefault);
    expect(grace('sink') * 1000).toBeGreaterThanOrEqual(drainMs + 10_000);
  });

  it.each(['producer', 'router'] as const)(
    'the %s gets its preStop pause plus its own forced-exit bound',
    (app) => {
      const preStop = container(app).lifecycle?.preStop?.exec?.command;
      const pauseSeconds = preStop ? Number(preStop[preStop.length - 1]) : 0;
      expect(grace(app) * 1000).toBeGreaterThanOrEqual(pauseSeconds * 1000 + hardExitMs(app));
    },
  );
});

describe('scaling', () => {
  it('the producer gateway scales on CPU with a HorizontalPodAutoscaler (autoscaling/v2)', () => {
    const hpa = named<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler', 'tablelane-producer');
    expect(hpa.spec!.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'tablelane-producer',
    });
    expect(hpa.spec!.metrics).toEqual([
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
      },
    ]);
    // Two at least, so the PodDisruptionBudget can let one go during a node drain.
    expect(hpa.spec!.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec!.maxReplicas).toBeGreaterThan(hpa.spec!.minReplicas!);
  });

  it('the partition count assumed here is the one docker-compose creates the changes topic with', () => {
    expect(readText('docker-compose.yml')).toContain(`tablelane.changes:${CHANGES_PARTITIONS}`);
  });

  it('KEDA scales the sink on the lag of its group on the changes topic, never beyond the partitions', () => {
    const so = scaledObject();
    expect(so.spec.scaleTargetRef.name).toBe('tablelane-sink');
    expect(so.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    // A replica beyond the partition count owns no lane: it would only add rebalances.
    expect(so.spec.maxReplicaCount).toBeLessThanOrEqual(CHANGES_PARTITIONS);
    expect(so.spec.triggers).toHaveLength(1);
    const [trigger] = so.spec.triggers;
    expect(trigger.type).toBe('kafka');
    const m = trigger.metadata as Record<string, string>;
    expect(m.topic).toBe(contracts().topics.changes);
    expect(m.consumerGroup).toBe(configData().TABLELANE_SINK_GROUP);
    expect(m.allowIdleConsumers).toBe('false');
    expect(m.lagThreshold).toMatch(/^[1-9]\d*$/);
    // The brokers come from the sink's own environment, which KEDA resolves from the target.
    expect(configData()[m.bootstrapServersFromEnv]).toBeTruthy();
    expect(container('sink').envFrom).toContainEqual({ configMapRef: { name: 'tablelane-config' } });
    // The sink starts from the beginning of a partition it has no offset for.
    expect(m.offsetResetPolicy).toBe('earliest');
  });

  it('the KEDA kafka trigger uses only parameters the kafka scaler knows', () => {
    // From the KEDA Apache Kafka scaler documentation (keda.sh/docs/latest/scalers/apache-kafka).
    const known = new Set([
      ...['bootstrapServers', 'consumerGroup', 'topic'].flatMap((k) => [k, `${k}FromEnv`]),
      'lagThreshold',
      'activationLagThreshold',
      'offsetResetPolicy',
      'allowIdleConsumers',
      'excludePersistentLag',
      'scaleToZeroOnInvalidOffset',
      'limitToPartitionsWithLag',
      'ensureEvenDistributionOfPartitions',
      'partitionLimitation',
      'version',
      'sasl',
      'tls',
    ]);
    const unknown = Object.keys(scaledObject().spec.triggers[0].metadata).filter((k) => !known.has(k));
    expect(unknown).toEqual([]);
  });

  it('the sink may hold maxBufferedBytes several times over before its memory limit', () => {
    const limit = bytes(container('sink').resources!.limits!.memory!);
    expect(limit).toBeGreaterThanOrEqual(4 * contracts().maxBufferedBytes);
  });
});

describe('configuration and secrets', () => {
  it('the contracts in the ConfigMap pass the same validation as at startup', () => {
    const config = contracts();
    expect(config.tables.length).toBeGreaterThan(0);
  });

  it('every environment variable set is one the code reads (pg reads the PG* variables itself)', () => {
    const read = new Set([
      ...environmentNamesReadByCode(),
      ...['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE'],
    ]);
    const set = [
      ...Object.keys(configData()).filter((k) => k !== 'tablelane.yaml'),
      ...APPS.flatMap((app) => [...envOf(app).keys()]),
    ];
    expect(set.filter((name) => !read.has(name))).toEqual([]);
  });

  it('the ConfigMap holds nothing secret (a <NAME>_FILE is a path, checked to be mounted below)', () => {
    expect(
      Object.keys(configData()).filter(
        (k) => /PASSWORD|SECRET|ACCESS_KEY|API_KEY|TOKEN|USER_INFO/.test(k) && !k.endsWith('_FILE'),
      ),
    ).toEqual([]);
  });

  it.each([
    [BASE, 'tablelane-secrets'],
    [KAFKA_SASL_SSL, 'tablelane-kafka'],
    [KAFKA_CA, 'tablelane-kafka-ca'],
  ])('the Secret of %s holds placeholders only, clearly marked', (dir, name) => {
    const secret = named<{ stringData: Record<string, string>; data?: object }>(
      loadKustomization(dir),
      'Secret',
      name,
    );
    expect(secret.data).toBeUndefined();
    for (const [key, value] of Object.entries(secret.stringData)) expect(value, key).toContain('REPLACE_ME');
  });

  it('a gateway deployed with the placeholder API keys refuses to start', () => {
    const secret = named<{ stringData: Record<string, string> }>(objects, 'Secret', 'tablelane-secrets');
    expect(() =>
      parseApiKeys(JSON.parse(secret.stringData.TABLELANE_API_KEYS), 'TABLELANE_API_KEYS'),
    ).toThrow(/sha256/);
  });
});

describe('secrets as mounted files, cloud credentials from the IRSA role', () => {
  it('every secret reaches the pods as a file: a <NAME>_FILE inside a mounted Secret, never a value', () => {
    expect(secretFileProblems(withJob())).toEqual([]);
  });

  it('the check does catch a secret set as a value, a secretKeyRef, and a file outside the mounts', () => {
    const broken = structuredClone(withJob());
    const sink = workloadsIn(broken).find((w) => w.at === 'Deployment tablelane-sink')!.pod.containers[0]!;
    sink.env!.push(
      { name: 'KAFKA_SASL_PASSWORD', value: 'hunter2' },
      { name: 'S3_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'tablelane-secrets', key: 'x' } } },
      { name: 'REDSHIFT_PASSWORD_FILE', value: '/etc/elsewhere/password' },
      { name: 'PGPASSWORD_FILE', value: '/var/run/secrets/tablelane/NOT_THERE' },
    );
    expect(secretFileProblems(broken)).toEqual([
      expect.stringContaining('S3_SECRET_ACCESS_KEY comes from a secretKeyRef'),
      // PGPASSWORD_FILE keeps its place in the environment; the value set later wins.
      expect.stringContaining(
        'PGPASSWORD_FILE=/var/run/secrets/tablelane/NOT_THERE: volume secrets has no file NOT_THERE',
      ),
      expect.stringContaining(
        'the secret KAFKA_SASL_PASSWORD is set as a value: set KAFKA_SASL_PASSWORD_FILE',
      ),
      expect.stringContaining('the secret S3_SECRET_ACCESS_KEY is set as a value'),
      expect.stringContaining('REDSHIFT_PASSWORD_FILE=/etc/elsewhere/password is in no mounted volume'),
    ]);
  });

  it('each app mounts only the keys it uses', () => {
    const secretItems = (app: AppName) =>
      deployment(app)
        .spec!.template.spec!.volumes!.filter((v) => v.secret?.secretName === 'tablelane-secrets')
        .flatMap((v) => v.secret!.items!.map((i) => i.key));
    expect(secretItems('producer')).toEqual(['TABLELANE_API_KEYS']);
    expect(secretItems('sink')).toEqual(['PGPASSWORD']);
    expect(secretItems('router')).toEqual([]);
    expect(envOf('producer').get('TABLELANE_API_KEYS_FILE')).toBe(
      '/var/run/secrets/tablelane/TABLELANE_API_KEYS',
    );
    expect(envOf('sink').get('PGPASSWORD_FILE')).toBe('/var/run/secrets/tablelane/PGPASSWORD');
  });

  it('mounted secret files are readable by the app only through its group (0440, fsGroup)', () => {
    for (const { at, pod } of workloadsIn(withJob())) {
      for (const v of pod.volumes ?? [])
        if (v.secret) expect(v.secret.defaultMode, `${at} ${v.name}`).toBe(0o440);
      expect(pod.securityContext?.fsGroup, at).toBe(pod.securityContext?.runAsGroup);
    }
  });

  it('every pod, the provisioning Job too, runs as the ServiceAccount that carries the IAM role (IRSA)', () => {
    expect(serviceAccountProblems(withJob())).toEqual([]);
    const account = named<Manifest & { automountServiceAccountToken?: boolean }>(
      objects,
      'ServiceAccount',
      'tablelane',
    );
    expect(account.metadata.annotations?.['eks.amazonaws.com/role-arn']).toMatch(/REPLACE_ME/);
    expect(account.automountServiceAccountToken).toBe(false);
  });

  it("no S3 keys anywhere: the SDK's default chain signs with the role", () => {
    const s3Keys = /^S3_(ACCESS_KEY_ID|SECRET_ACCESS_KEY)(_FILE)?$/;
    for (const { at, pod } of workloadsIn(withJob()))
      for (const c of pod.containers)
        expect(
          [...environmentOf(withJob(), c).keys()].filter((k) => s3Keys.test(k)),
          at,
        ).toEqual([]);
    for (const secret of byKind<{ stringData?: object }>(objects, 'Secret'))
      expect(Object.keys(secret.stringData ?? {}).filter((k) => k.startsWith('S3_'))).toEqual([]);
  });

  it('the secret variables of the manifests are the ones libs/config reads from files', () => {
    const fileVariables = new Set(ENVIRONMENT.flatMap((v) => (v.fileVariable ? [v.fileVariable] : [])));
    const used = [
      ...APPS.flatMap((app) => [...envOf(app).keys()]),
      ...Object.keys(configData()),
      ...loadKustomization(KAFKA_SASL_SSL).flatMap((o) => Object.keys((o as { data?: object }).data ?? {})),
    ].filter((k) => k.endsWith('_FILE'));
    expect(used.length).toBeGreaterThanOrEqual(3);
    expect(used.filter((k) => !fileVariables.has(k))).toEqual([]);
  });
});

describe('Kafka components (kafka-sasl-ssl, kafka-ca)', () => {
  it.each([KAFKA_SASL_SSL, KAFKA_CA])(
    '%s: every resource validates, and every file it has is used',
    (dir) => {
      for (const o of loadKustomization(dir).filter((x) => x.kind !== 'ConfigMap')) validateManifest(o);
      const k = readKustomization(dir) as ReturnType<typeof readKustomization> & {
        patches?: { path?: string }[];
      };
      const used = [...(k.resources ?? []), ...(k.patches ?? []).flatMap((p) => (p.path ? [p.path] : []))];
      const files = readdirSync(resolve(ROOT, dir)).filter((f) => f !== 'kustomization.yaml');
      expect([...new Set(used)].sort()).toEqual(files.sort());
      // Their generators only add to the apps' ConfigMap.
      for (const g of k.configMapGenerator ?? [])
        expect(g).toMatchObject({ name: 'tablelane-config', behavior: 'merge' });
    },
  );

  it('kafka-sasl-ssl: TLS and SCRAM for the apps, the password as a file, the same for KEDA', () => {
    const data = loadKustomization(KAFKA_SASL_SSL).find((o) => o.kind === 'ConfigMap')!.data as Record<
      string,
      string
    >;
    expect(data).toMatchObject({
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_PASSWORD_FILE: '/var/run/secrets/tablelane-kafka/KAFKA_SASL_PASSWORD',
    });
    expect(data.KAFKA_SASL_USERNAME).toBeTruthy();
  });
});

describe('provisioning Job (components/provision)', () => {
  const [job] = loadKustomization('deploy/kubernetes/components/provision');
  it('validates, creates the topics and registers the schema with the CLI, and never runs as root', () => {
    validateManifest(job!);
    const spec = (
      job as unknown as {
        spec: {
          template: { spec: { containers: IContainer[]; securityContext: { runAsNonRoot: boolean } } };
        };
      }
    ).spec.template.spec;
    const command = spec.containers[0]!.command!.join(' ');
    expect(command).toContain('topics create');
    expect(command).toContain('schema --register');
    expect(spec.securityContext.runAsNonRoot).toBe(true);
    expect(spec.containers[0]!.envFrom?.[0]?.configMapRef?.name).toBe('tablelane-config');
  });
});
