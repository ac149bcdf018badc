import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { parser } from '@prometheus-io/lezer-promql';
import type { TestGateway } from '../support/gateway.js';
import { readYaml, repoPath } from '../deploy/kustomize.js';
import { createTopics, kafkaBrokers, startKafkaGateway, unique } from './kafka-support.js';

jest.setTimeout(60_000);

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string; description: string };
}

const [ruleObject] = readYaml(repoPath('k8s/examples/prometheus-rules.yaml'));
const rules = (ruleObject as unknown as { spec: { groups: { rules: Rule[] }[] } }).spec.groups
  .flatMap((g) => g.rules)
  .map((r) => [r.alert, r] as const);

/** The metric names an expression selects, or the text of its first syntax error. */
function selectors(expr: string): { names: string[]; error?: string } {
  const names: string[] = [];
  let error: string | undefined;
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) error ??= `syntax error at ${node.from}: "${expr.slice(node.from)}"`;
      if (node.name === 'VectorSelector') {
        const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(expr.slice(node.from, node.to));
        if (name) names.push(name[0]);
      }
    },
  });
  return { names, error };
}

/**
 * Every series name the gateway's /metrics can show: each family from its `# TYPE` line, whether
 * or not it has samples yet, with a histogram's `_bucket`, `_sum` and `_count`.
 */
function seriesNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (type === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    else names.add(name);
  }
  return names;
}

describe('the example alert rules (k8s/examples/prometheus-rules.yaml)', () => {
  let gw: TestGateway;
  let exported: Set<string>;

  beforeAll(async () => {
    // With Kafka on, the gateway registers every metric it has, the Kafka ones included.
    const brokers = kafkaBrokers();
    const topic = unique('alerts');
    await createTopics(brokers, [{ topic, partitions: 1 }]);
    ({ gw } = await startKafkaGateway(brokers, topic));
    exported = seriesNames(await (await fetch(`${gw.url}/metrics`)).text());
  });
  afterAll(() => gw?.close());

  it('is one PrometheusRule with uniquely named alerts, each with a severity and a summary', () => {
    expect(ruleObject.kind).toBe('PrometheusRule');
    expect(ruleObject.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(new Set(rules.map(([name]) => name)).size).toBe(rules.length);
    for (const [, rule] of rules) {
      expect(['info', 'warning', 'critical']).toContain(rule.labels.severity);
      expect(rule.annotations.summary).toBeTruthy();
      expect(rule.annotations.description).toBeTruthy();
      if (rule.for !== undefined) expect(rule.for).toMatch(/^\d+[smh]$/);
    }
  });

  it.each(rules)('%s parses as PromQL and selects only series the gateway exports', (_, rule) => {
    const { names, error } = selectors(rule.expr);
    expect(error).toBeUndefined();
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => !exported.has(n))).toEqual([]);
  });
});
