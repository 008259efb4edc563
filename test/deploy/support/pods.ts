import { posix } from 'node:path';
import { ENVIRONMENT } from '@app/config';
import type { IContainer, IPodSpec, IVolume } from 'kubernetes-models/v1';
import type { Manifest } from './manifests';

/** The pod template of every workload of a set: Deployments and Jobs. */
export interface Workload {
  at: string;
  pod: IPodSpec;
}

export function workloadsIn(set: Manifest[]): Workload[] {
  return set
    .filter((o) => o.kind === 'Deployment' || o.kind === 'Job')
    .map((o) => ({
      at: `${o.kind} ${o.metadata.name}`,
      pod: (o as unknown as { spec: { template: { spec: IPodSpec } } }).spec.template.spec,
    }));
}

/** The secret settings of libs/config: each may be set only as its `<NAME>_FILE`. */
const SECRET_VARIABLES = new Map(
  ENVIRONMENT.filter((v) => v.fileVariable).map((v) => [v.name, v.fileVariable!] as const),
);
const FILE_VARIABLES = new Map([...SECRET_VARIABLES].map(([name, file]) => [file, name] as const));

type Data = { data?: Record<string, string>; stringData?: Record<string, string> };
const find = (set: Manifest[], kind: string, name: string | undefined) =>
  set.find((o) => o.kind === kind && o.metadata.name === name) as (Manifest & Data) | undefined;
const keysOf = (o: Data | undefined) => (o ? Object.keys({ ...o.data, ...o.stringData }) : undefined);

/** A container's environment as the kubelet builds it: envFrom ConfigMaps first, then `env`. */
export function environmentOf(set: Manifest[], container: IContainer): Map<string, string | undefined> {
  const env = new Map<string, string | undefined>();
  for (const from of container.envFrom ?? [])
    if (from.configMapRef)
      for (const [k, v] of Object.entries(find(set, 'ConfigMap', from.configMapRef.name)?.data ?? {}))
        env.set(k, v);
  for (const e of container.env ?? []) env.set(e.name, e.value);
  return env;
}

/** The files a Secret or ConfigMap volume provides, relative to its mount; undefined if its source is missing. */
function filesOf(set: Manifest[], volume: IVolume): string[] | undefined {
  const source = volume.secret ?? volume.configMap;
  if (!source) return undefined;
  const items = source.items;
  const kind = volume.secret ? 'Secret' : 'ConfigMap';
  const name = volume.secret ? volume.secret.secretName : volume.configMap!.name;
  const keys = keysOf(find(set, kind, name));
  if (!keys) return undefined;
  return items ? items.filter((i) => keys.includes(i.key)).map((i) => i.path) : keys;
}

/**
 * Secrets reach the apps as files only: no secretKeyRef or secretRef, no secret variable set by
 * value (only its `<NAME>_FILE`), every `<NAME>_FILE` is one libs/config reads and points at a
 * file a mounted Secret volume of that container provides, and every Secret volume's keys exist.
 */
export function secretFileProblems(set: Manifest[]): string[] {
  const problems: string[] = [];
  for (const { at, pod } of workloadsIn(set)) {
    for (const v of pod.volumes ?? [])
      if (v.secret) {
        const keys = keysOf(find(set, 'Secret', v.secret.secretName));
        if (!keys) problems.push(`${at}: volume ${v.name} mounts missing Secret ${v.secret.secretName}`);
        for (const item of v.secret.items ?? [])
          if (keys && !keys.includes(item.key))
            problems.push(
              `${at}: volume ${v.name} wants ${v.secret.secretName}/${item.key}, which is missing`,
            );
      }
    for (const c of pod.containers) {
      const where = `${at} container ${c.name}`;
      for (const from of c.envFrom ?? [])
        if (from.secretRef)
          problems.push(`${where}: envFrom Secret ${from.secretRef.name}: mount it as files`);
      for (const e of c.env ?? [])
        if (e.valueFrom?.secretKeyRef)
          problems.push(
            `${where}: ${e.name} comes from a secretKeyRef: mount the Secret and set ${e.name}_FILE`,
          );
      for (const [name, value] of environmentOf(set, c)) {
        if (SECRET_VARIABLES.has(name))
          problems.push(
            `${where}: the secret ${name} is set as a value: set ${SECRET_VARIABLES.get(name)} to a mounted file`,
          );
        if (!name.endsWith('_FILE')) continue;
        if (!FILE_VARIABLES.has(name)) {
          problems.push(`${where}: ${name} is not the file of a secret libs/config reads`);
          continue;
        }
        const mount = (c.volumeMounts ?? []).find(
          (m) => value !== undefined && value.startsWith(`${m.mountPath.replace(/\/$/, '')}/`),
        );
        const volume = mount && pod.volumes?.find((v) => v.name === mount.name);
        if (!mount || !volume) {
          problems.push(`${where}: ${name}=${value} is in no mounted volume`);
          continue;
        }
        if (!volume.secret)
          problems.push(`${where}: ${name} points into ${volume.name}, which is not a Secret`);
        const file = posix.relative(mount.mountPath, value!);
        if (!filesOf(set, volume)?.includes(file))
          problems.push(`${where}: ${name}=${value}: volume ${volume.name} has no file ${file}`);
      }
    }
  }
  return problems;
}

/** Every workload runs as a ServiceAccount of the set, which carries an IRSA role. */
export function serviceAccountProblems(set: Manifest[]): string[] {
  const problems: string[] = [];
  for (const { at, pod } of workloadsIn(set)) {
    const account = find(set, 'ServiceAccount', pod.serviceAccountName);
    if (!pod.serviceAccountName) problems.push(`${at}: no serviceAccountName (IRSA needs one)`);
    else if (!account) problems.push(`${at}: ServiceAccount ${pod.serviceAccountName} is missing`);
    else if (
      !/^arn:aws:iam::\d{12}:role\/.+/.test(
        account.metadata.annotations?.['eks.amazonaws.com/role-arn'] ?? '',
      )
    )
      problems.push(`ServiceAccount ${pod.serviceAccountName}: no eks.amazonaws.com/role-arn annotation`);
  }
  return problems;
}

/** A KEDA trigger's authenticationRef, and each secret and env reference of it, resolve. */
export function triggerAuthenticationProblems(set: Manifest[]): string[] {
  const problems: string[] = [];
  type Auth = {
    spec: {
      secretTargetRef?: { name: string; key: string }[];
      env?: { name: string; containerName?: string }[];
    };
  };
  type Scaled = {
    spec: { scaleTargetRef: { name: string }; triggers: { authenticationRef?: { name: string } }[] };
  };
  for (const so of set.filter((o) => o.kind === 'ScaledObject') as unknown as (Manifest & Scaled)[]) {
    const target = set.find(
      (o) => o.kind === 'Deployment' && o.metadata.name === so.spec.scaleTargetRef.name,
    );
    const containers = target ? workloadsIn([target])[0]!.pod.containers : [];
    for (const trigger of so.spec.triggers) {
      if (!trigger.authenticationRef) continue;
      const auth = find(set, 'TriggerAuthentication', trigger.authenticationRef.name) as
        (Manifest & Auth) | undefined;
      if (!auth) {
        problems.push(
          `ScaledObject ${so.metadata.name}: TriggerAuthentication ${trigger.authenticationRef.name} is missing`,
        );
        continue;
      }
      for (const ref of auth.spec.secretTargetRef ?? [])
        if (!keysOf(find(set, 'Secret', ref.name))?.includes(ref.key))
          problems.push(
            `TriggerAuthentication ${auth.metadata.name}: Secret key ${ref.name}/${ref.key} is missing`,
          );
      for (const ref of auth.spec.env ?? []) {
        const container = containers.find((c) => c.name === ref.containerName) ?? containers[0];
        if (!container || !environmentOf(set, container).has(ref.name))
          problems.push(
            `TriggerAuthentication ${auth.metadata.name}: ${ref.name} is not in the target's environment`,
          );
      }
    }
  }
  return problems;
}
