/** Reading synthesized objects in tests: plain JSON walked with small accessors. */
import { parseChartConfig, type ChartConfigInput } from '../src/config.js';
import { synthesizeObjects } from '../src/recio-charts.js';

export type Obj = Record<string, any>;

/** Every object of one configuration. */
export function chartObjects(input: ChartConfigInput): Obj[] {
  return synthesizeObjects(parseChartConfig(input));
}

/** The data of the ConfigMap `name`. */
export function configMapData(objs: readonly Obj[], name: string): Record<string, string> {
  const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
  if (cm === undefined) throw new Error(`ConfigMap/${name} not synthesized`);
  return cm.data as Record<string, string>;
}

/** The pod specs of every Deployment, StatefulSet and Job. */
export function podSpecs(objs: readonly Obj[]): Obj[] {
  return objs.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind)).map((o) => o.spec.template.spec);
}

/**
 * Secret name → the keys pods read from it: env references, projected items, files named by a
 * variable inside a mounted Secret; and the Ingress certificates (no keys).
 */
export function secretReferences(objs: readonly Obj[]): Map<string, Set<string>> {
  const refs = new Map<string, Set<string>>();
  const add = (name: string, key?: string) => {
    const keys = refs.get(name) ?? new Set<string>();
    if (key !== undefined) keys.add(key);
    refs.set(name, keys);
  };
  for (const pod of podSpecs(objs)) {
    const volumes = new Map<string, Obj>((pod.volumes ?? []).map((v: Obj) => [v.name, v]));
    for (const v of volumes.values()) {
      if (v.secret) add(v.secret.secretName);
      for (const src of v.projected?.sources ?? [])
        if (src.secret) for (const item of src.secret.items) add(src.secret.name, item.key);
    }
    for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref) add(ref.name, ref.key);
        if (typeof e.value !== 'string') continue;
        const mount = (c.volumeMounts ?? []).find((m: Obj) => e.value.startsWith(`${m.mountPath}/`));
        const secret = mount && volumes.get(mount.name)?.secret;
        if (secret) add(secret.secretName, e.value.slice(mount.mountPath.length + 1));
      }
    }
  }
  for (const ing of objs.filter((o) => o.kind === 'Ingress')) for (const t of ing.spec.tls ?? []) add(t.secretName);
  return refs;
}
