import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { CONFIG_KEYS, loadConfig } from '../../src/config/app-config.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { kustomize, readYaml, repoPath, type K8sObject } from './kustomize.js';
import { unknownFieldErrors } from './strict-fields.js';

/** The drain lifecycle forces the process out this long after DRAIN_SECONDS (Nest teardown). */
const TEARDOWN_SECONDS = 3;
/** Routes that hold a connection open: SSE, long polling, WebSocket. */
const LONG_LIVED = ['/v1/notifications/stream', '/v1/notifications/poll', '/v1/ws'];
const INTERNAL = ['/health', '/metrics', '/docs'];

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const overlays: Record<string, K8sObject[]> = {
  dev: kustomize(repoPath('k8s/overlays/dev')),
  prod: kustomize(repoPath('k8s/overlays/prod')),
};
const secretTemplate = readYaml(repoPath('k8s/base/secret.template.yaml'));
const ingressExample = readYaml(repoPath('k8s/examples/ingress-nginx.yaml'));

const find = (objects: K8sObject[], kind: string) => objects.find((o) => o.kind === kind) as Json;
const podSpec = (objects: K8sObject[]) => find(objects, 'Deployment').spec.template.spec;
const container = (objects: K8sObject[]) => podSpec(objects).containers[0];
const configData = (objects: K8sObject[]): Record<string, string> =>
  find(objects, 'ConfigMap').data;
const routedPaths = (route: Json): string[] =>
  route.spec.rules.flatMap((r: Json) => r.matches.map((m: Json) => m.path.value));
const ingressPaths = (ingress: Json): string[] =>
  ingress.spec.rules.flatMap((r: Json) => r.http.paths.map((p: Json) => p.path));
/** What the container would read: the ConfigMap, then the Secret, then `env`. */
const envOf = (objects: K8sObject[], secret: Record<string, string> = {}) => ({
  ...configData(objects),
  ...secret,
  ...Object.fromEntries((container(objects).env ?? []).map((e: Json) => [e.name, e.value])),
});

async function modelFor(o: K8sObject) {
  const mod = o.apiVersion.startsWith('gateway.networking.k8s.io/')
    ? await import(`@kubernetes-models/gateway-api/${o.apiVersion}`)
    : await import(`kubernetes-models/${o.apiVersion}`);
  const Model = mod[o.kind];
  if (!Model) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
  return Model as new (data: unknown) => { validate(): void };
}

describe('k8s manifests', () => {
  it('render every overlay into namespaced objects', () => {
    const kinds = (objects: K8sObject[]) => objects.map((o) => o.kind).sort();
    expect(kinds(overlays.dev)).toEqual([
      'ConfigMap',
      'Deployment',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'Service',
    ]);
    expect(kinds(overlays.prod)).toEqual([
      'ConfigMap',
      'Deployment',
      'HTTPRoute',
      'HorizontalPodAutoscaler',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'Service',
    ]);
    for (const [name, objects] of Object.entries(overlays)) {
      for (const o of objects)
        expect([name, o.metadata.namespace]).toEqual([name, expect.any(String)]);
    }
    expect(container(overlays.prod).image).toBe('registry.example.com/notification-gateway:0.1.0');
    expect(container(overlays.dev).image).toBe('notification-gateway:dev');
  });

  it('every object validates against the Kubernetes (and Gateway API) schemas', async () => {
    const all = [...Object.values(overlays).flat(), ...secretTemplate, ...ingressExample];
    for (const o of all) {
      const Model = await modelFor(o);
      expect(() => new Model(o).validate()).not.toThrow();
    }
    // The check has teeth: a wrong type is refused.
    const broken = structuredClone(find(overlays.prod, 'Deployment'));
    broken.spec.replicas = 'two';
    const Deployment = await modelFor(broken as K8sObject);
    expect(() => new Deployment(broken).validate()).toThrow(/replicas/);
  });

  it('use no field the Kubernetes API does not define (strict field validation)', () => {
    const all = [...Object.values(overlays).flat(), ...secretTemplate, ...ingressExample];
    const typo = structuredClone(find(overlays.prod, 'Deployment')) as K8sObject & Json;
    typo.spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem = true;
    const errors = unknownFieldErrors([...all, typo], repoPath());
    // Exactly the planted typo, and nothing in the real manifests.
    expect(errors).toEqual([
      expect.stringMatching(/^Deployment .*readOnlyRootFileSystem.*does not exist/),
    ]);
  });

  it('set only environment variables the config schema knows', () => {
    const keys = (objects: K8sObject[]) => [
      ...Object.keys(configData(objects)),
      ...(container(objects).env ?? []).map((e: Json) => e.name),
    ];
    const secretKeys = Object.keys((secretTemplate[0] as Json).stringData);
    const all = new Set([...keys(overlays.dev), ...keys(overlays.prod), ...secretKeys]);
    expect([...all].filter((k) => !CONFIG_KEYS.includes(k))).toEqual([]);
  });

  it('hold values the service accepts at boot (prod once its Secret is created)', () => {
    const dev = loadConfig(envOf(overlays.dev));
    expect(dev.devAuth).toBe(true);
    const prod = loadConfig(envOf(overlays.prod, { JWT_SECRET: 'x'.repeat(48) }));
    expect(prod.production).toBe(true);
    // Without the Secret, production refuses to start rather than run unauthenticated.
    expect(() => loadConfig(envOf(overlays.prod))).toThrow(/JWT_SECRET or JWT_JWKS_URL/);
  });

  it('keep no real secret in the template', () => {
    expect(Object.values((secretTemplate[0] as Json).stringData)).toEqual(['']);
    expect((secretTemplate[0] as Json).data).toBeUndefined();
  });

  it('give the drain time to finish: grace period > preStop + DRAIN_SECONDS + teardown', () => {
    for (const objects of Object.values(overlays)) {
      const preStop = container(objects).lifecycle.preStop.exec.command;
      expect(preStop[0]).toBe('sleep');
      const drain = loadConfig({ ...envOf(objects), JWT_SECRET: 'x'.repeat(48) }).DRAIN_SECONDS;
      expect(podSpec(objects).terminationGracePeriodSeconds).toBeGreaterThan(
        Number(preStop[1]) + drain + TEARDOWN_SECONDS,
      );
    }
  });

  it('run locked down, as the Dockerfile user', () => {
    const dockerUser = /^USER (\d+)/m.exec(readFileSync(repoPath('Dockerfile'), 'utf8'))![1];
    for (const objects of Object.values(overlays)) {
      const pod = podSpec(objects);
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: Number(dockerUser),
      });
      expect(container(objects).securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(container(objects).resources).toMatchObject({
        requests: { cpu: expect.anything(), memory: expect.anything() },
        limits: { memory: expect.anything() },
      });
      expect(pod.topologySpreadConstraints.length).toBeGreaterThan(0);
    }
  });

  it('keep prod available: 2+ replicas, HPA from 2, one voluntary disruption at a time', () => {
    expect(find(overlays.dev, 'Deployment').spec.replicas).toBe(1);
    expect(find(overlays.prod, 'Deployment').spec.replicas).toBeGreaterThanOrEqual(2);
    const hpa = find(overlays.prod, 'HorizontalPodAutoscaler');
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.scaleTargetRef.name).toBe(find(overlays.prod, 'Deployment').metadata.name);
    expect(find(overlays.prod, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
  });

  it('route long-lived paths with no request timeout and keep internal paths unrouted', () => {
    const route = find(overlays.prod, 'HTTPRoute');
    const streams = route.spec.rules.find((r: Json) =>
      r.matches.some((m: Json) => m.path.value === '/v1/notifications/stream'),
    );
    expect(streams.timeouts.request).toBe('0s');
    expect(routedPaths({ spec: { rules: [streams] } }).sort()).toEqual([...LONG_LIVED].sort());

    const [streamIngress, apiIngress] = ingressExample as Json[];
    expect(ingressPaths(streamIngress).sort()).toEqual([...LONG_LIVED].sort());
    const a = streamIngress.metadata.annotations;
    expect(a['nginx.ingress.kubernetes.io/proxy-buffering']).toBe('off');
    expect(Number(a['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(
      3600,
    );
    expect(Number(a['nginx.ingress.kubernetes.io/proxy-send-timeout'])).toBeGreaterThanOrEqual(
      3600,
    );

    for (const path of [
      ...routedPaths(route),
      ...ingressExample.flatMap((i) => ingressPaths(i as Json)),
    ]) {
      for (const internal of INTERNAL) expect(path.startsWith(internal)).toBe(false);
    }
    expect(ingressPaths(apiIngress)).toContain('/v1');
  });
});

describe('k8s manifests against the running service', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());

  it('probe paths answer on the port the container declares', async () => {
    for (const objects of Object.values(overlays)) {
      const c = container(objects);
      const port = c.ports.find((p: Json) => p.name === 'http');
      expect(port.containerPort).toBe(
        loadConfig({ ...envOf(objects), JWT_SECRET: 'x'.repeat(48) }).PORT,
      );
      for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe]) {
        expect(probe.httpGet.port).toBe('http');
        const res = await fetch(`${gw.url}${probe.httpGet.path}`);
        expect([probe.httpGet.path, res.status]).toEqual([probe.httpGet.path, 200]);
      }
      const annotations = find(objects, 'Deployment').spec.template.metadata.annotations;
      expect(Number(annotations['prometheus.io/port'])).toBe(port.containerPort);
      expect((await fetch(`${gw.url}${annotations['prometheus.io/path']}`)).status).toBe(200);
    }
  });

  it('service, route, ingress and network policy point at the named port', () => {
    const objects = overlays.prod;
    const service = find(objects, 'Service');
    expect(service.spec.ports[0].targetPort).toBe('http');
    expect(service.spec.selector).toEqual(find(objects, 'Deployment').spec.selector.matchLabels);
    for (const rule of find(objects, 'HTTPRoute').spec.rules) {
      expect(rule.backendRefs).toEqual([
        { name: service.metadata.name, port: service.spec.ports[0].port },
      ]);
    }
    for (const ingress of ingressExample as Json[]) {
      for (const path of ingress.spec.rules[0].http.paths) {
        expect(path.backend.service).toEqual({
          name: service.metadata.name,
          port: { name: 'http' },
        });
      }
    }
    expect(find(objects, 'NetworkPolicy').spec.ingress[0].ports).toEqual([
      { port: 'http', protocol: 'TCP' },
    ]);
  });

  it('every routed path is served by the app', async () => {
    const express = gw.app.getHttpAdapter().getInstance();
    const served: string[] = express.router.stack
      .filter((layer: Json) => layer.route)
      .map((layer: Json) => layer.route.path);
    const routes = [
      ...find(overlays.prod, 'HTTPRoute').spec.rules.flatMap((r: Json) =>
        r.matches.map((m: Json) => ({ path: m.path.value, exact: m.path.type === 'Exact' })),
      ),
      ...ingressExample.flatMap((i) =>
        (i as Json).spec.rules[0].http.paths.map((p: Json) => ({
          path: p.path,
          exact: p.pathType === 'Exact',
        })),
      ),
    ];
    const missing: string[] = [];
    for (const { path, exact } of routes) {
      const ok =
        path === '/v1/ws'
          ? (await upgradeStatus(gw.port, path)) !== 404
          : served.some((s) => s === path || (!exact && s.startsWith(`${path}/`)));
      if (!ok) missing.push(path);
    }
    expect([...new Set(missing)]).toEqual([]);
  });
});

/** The status a WebSocket handshake gets (101 when accepted). */
function upgradeStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      path,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}
