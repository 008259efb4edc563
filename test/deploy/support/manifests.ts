import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { ROOT, readText, yamlDocuments } from './repo';

export const BASE = 'deploy/kubernetes/base';
export const OVERLAY = 'deploy/kubernetes/overlays/example';

/**
 * The schema of every kind the manifests use, from the npm packages kubernetes-models (the
 * Kubernetes OpenAPI schemas, compiled) and @kubernetes-models/keda (the KEDA CRDs). A kind
 * missing here fails the suite rather than passing unchecked.
 */
const MODELS: Record<string, new (data: never) => object> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
};

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** Validates one object against its schema; throws with every problem the schema reports. */
export function validateManifest(manifest: Manifest): void {
  const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  if (!Model) throw new Error(`no schema for ${manifest.apiVersion} ${manifest.kind}: add it to MODELS`);
  try {
    // validate() comes from @kubernetes-models/base, whose types only its package exports map
    // declares, which this repo's module resolution (node10) does not read.
    (new Model(manifest as never) as { validate(): void }).validate();
  } catch (error) {
    throw new Error(`${manifest.kind}/${manifest.metadata.name}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

interface Generator {
  name: string;
  behavior?: string;
  files?: string[];
  envs?: string[];
  literals?: string[];
}

export interface Kustomization {
  namespace?: string;
  resources?: string[];
  configMapGenerator?: Generator[];
  secretGenerator?: Generator[];
  images?: { name: string; newName?: string; newTag?: string }[];
}

export function readKustomization(dir: string): Kustomization {
  const [doc] = yamlDocuments(readText(`${dir}/kustomization.yaml`), `${dir}/kustomization.yaml`);
  return doc as Kustomization;
}

/** `KEY=value` lines of a kustomize env file (comments and blank lines skipped). */
export function envFile(path: string): Record<string, string> {
  const entries = readText(path)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const at = line.indexOf('=');
      if (at <= 0) throw new Error(`${path}: "${line}" is not KEY=value`);
      return [line.slice(0, at), line.slice(at + 1)] as const;
    });
  return Object.fromEntries(entries);
}

/**
 * The objects of a kustomization that has no patches (our base): its resource files, and its
 * ConfigMap generators as plain ConfigMaps under their unhashed names. kubectl kustomize, where
 * installed, renders the real thing (renderWithKubectl).
 */
export function loadKustomization(dir: string): Manifest[] {
  const k = readKustomization(dir);
  const objects: Manifest[] = [];
  for (const resource of k.resources ?? []) {
    const path = `${dir}/${resource}`;
    if (!existsSync(resolve(ROOT, path)))
      throw new Error(`${dir}/kustomization.yaml lists missing ${resource}`);
    if (statSync(resolve(ROOT, path)).isDirectory()) objects.push(...loadKustomization(path));
    else objects.push(...(yamlDocuments(readText(path), path) as Manifest[]));
  }
  for (const generator of k.configMapGenerator ?? []) {
    const data: Record<string, string> = {};
    for (const file of generator.files ?? []) data[file.split('/').pop()!] = readText(`${dir}/${file}`);
    for (const env of generator.envs ?? []) Object.assign(data, envFile(`${dir}/${env}`));
    for (const literal of generator.literals ?? []) {
      const at = literal.indexOf('=');
      data[literal.slice(0, at)] = literal.slice(at + 1);
    }
    objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: generator.name }, data });
  }
  return objects;
}

/** Paths a kustomization reads (resources, generator inputs), relative to the repo root. */
export function kustomizationInputs(dir: string): string[] {
  const k = readKustomization(dir);
  const generators = [...(k.configMapGenerator ?? []), ...(k.secretGenerator ?? [])];
  return [...(k.resources ?? []), ...generators.flatMap((g) => [...(g.files ?? []), ...(g.envs ?? [])])].map(
    (p) => resolve(ROOT, dir, p).slice(ROOT.length + 1),
  );
}

/** `kubectl kustomize <dir>`: offline for local bases; undefined output means kubectl failed. */
export function renderWithKubectl(kubectl: string, dir: string): { objects: Manifest[]; error?: string } {
  const run = spawnSync(kubectl, ['kustomize', resolve(ROOT, dir)], { encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) return { objects: [], error: `${run.stderr}${run.error?.message ?? ''}` };
  return { objects: yamlDocuments(run.stdout, `kubectl kustomize ${dir}`) as Manifest[] };
}

export const byKind = <T = Manifest>(objects: Manifest[], kind: string): T[] =>
  objects.filter((o) => o.kind === kind) as T[];

export const named = <T = Manifest>(objects: Manifest[], kind: string, name: string): T => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found as T;
};
