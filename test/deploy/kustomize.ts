import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/**
 * A renderer for the subset of kustomize that k8s/ uses, because no kustomize runs on the test
 * machines (no npm package ships one): `resources` (files and directories), `namespace`, `images`
 * and `patches` given as strategic-merge files, including `$patch: delete`. Anything else in a
 * kustomization or a patch is refused, so a manifest change that needs more fails here rather than
 * rendering differently from `kubectl kustomize`.
 */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
};

type Json = Record<string, unknown>;

const KUSTOMIZATION_FIELDS = new Set([
  'apiVersion',
  'kind',
  'resources',
  'namespace',
  'images',
  'patches',
]);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);
/** Built-in list fields merged by key (their patchMergeKey in the Kubernetes API). */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
};
/** Built-in list fields a strategic merge replaces whole. */
const REPLACED_LISTS = new Set(['command', 'args', 'drop', 'add']);
const BUILT_IN_GROUP = /^(v1|[a-z]+\/v\d+\w*|[a-z.]+\.k8s\.io\/v\d+\w*)$/;

export function readYaml(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => {
      if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

export function kustomize(dir: string): K8sObject[] {
  const file = join(dir, 'kustomization.yaml');
  const k = readYaml(file)[0] as unknown as Json;
  const unknown = Object.keys(k).filter((f) => !KUSTOMIZATION_FIELDS.has(f));
  if (unknown.length) throw new Error(`${file}: unsupported fields ${unknown.join(', ')}`);
  if (k.kind !== 'Kustomization') throw new Error(`${file}: kind must be Kustomization`);

  let objects: K8sObject[] = [];
  for (const r of (k.resources as string[] | undefined) ?? []) {
    const path = join(dir, r);
    objects.push(...(statSync(path).isDirectory() ? kustomize(path) : readYaml(path)));
  }
  for (const p of (k.patches as Json[] | undefined) ?? []) {
    const keys = Object.keys(p);
    if (keys.length !== 1 || typeof p.path !== 'string') {
      throw new Error(`${file}: only patches with a path alone are supported`);
    }
    for (const patch of readYaml(join(dir, p.path))) {
      objects = applyPatch(objects, patch, join(dir, p.path));
    }
  }
  for (const image of (k.images as Json[] | undefined) ?? []) setImage(objects, image);
  if (typeof k.namespace === 'string') {
    for (const o of objects) if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = k.namespace;
  }
  return objects;
}

function applyPatch(objects: K8sObject[], patch: K8sObject, file: string): K8sObject[] {
  const i = objects.findIndex(
    (o) =>
      o.apiVersion === patch.apiVersion &&
      o.kind === patch.kind &&
      o.metadata.name === patch.metadata.name,
  );
  if (i < 0) throw new Error(`${file}: no ${patch.kind} ${patch.metadata.name} to patch`);
  if ((patch as Json).$patch === 'delete') return objects.filter((_, j) => j !== i);
  const builtIn = BUILT_IN_GROUP.test(patch.apiVersion) && !patch.apiVersion.includes('gateway');
  const merged = merge(objects[i], patch, builtIn, '') as K8sObject;
  return objects.map((o, j) => (j === i ? merged : o));
}

function merge(target: unknown, patch: unknown, builtIn: boolean, key: string): unknown {
  if (Array.isArray(patch)) {
    if (!builtIn || REPLACED_LISTS.has(key)) return structuredClone(patch);
    const mergeKey = MERGE_KEYS[key];
    if (!mergeKey) throw new Error(`strategic merge of the list "${key}" is not supported`);
    const out = Array.isArray(target) ? [...(target as Json[])] : [];
    for (const item of patch as Json[]) {
      const at = out.findIndex((t) => t[mergeKey] === item[mergeKey]);
      if (at >= 0) out[at] = merge(out[at], item, builtIn, '') as Json;
      else out.push(structuredClone(item));
    }
    return out;
  }
  if (isObject(patch)) {
    if ('$patch' in patch) throw new Error('$patch is supported only on a whole object');
    const out: Json = isObject(target) ? { ...target } : {};
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete out[k];
      else out[k] = merge(out[k], v, builtIn, k);
    }
    return out;
  }
  return patch;
}

function setImage(objects: K8sObject[], image: Json): void {
  for (const o of objects) {
    const pod = (o.spec as Json | undefined)?.template as Json | undefined;
    const spec = pod?.spec as Json | undefined;
    for (const c of [
      ...((spec?.containers as Json[]) ?? []),
      ...((spec?.initContainers as Json[]) ?? []),
    ]) {
      const ref = String(c.image);
      const name = ref.replace(/[@:][^/]*$/, '');
      if (name !== image.name) continue;
      const tag = /:([^/@]+)$/.exec(ref)?.[1];
      const newName = (image.newName as string | undefined) ?? name;
      const newTag = (image.newTag as string | undefined) ?? tag;
      c.image = image.digest
        ? `${newName}@${image.digest}`
        : newTag
          ? `${newName}:${newTag}`
          : newName;
    }
  }
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export const repoPath = (...parts: string[]) =>
  join(dirname(dirname(import.meta.dirname)), ...parts);
