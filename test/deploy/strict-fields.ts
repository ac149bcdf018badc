import { join } from 'node:path';
import ts from 'typescript';
import type { K8sObject } from './kustomize.js';

/**
 * Kubernetes' JSON schemas allow unknown fields, but the API server's strict field validation
 * (kubectl's default) rejects them. kubernetes-models' TypeScript interfaces are closed, so each
 * object is type-checked as an object literal: TypeScript's excess-property check names any
 * field the API does not define, at any depth.
 */
export function unknownFieldErrors(objects: readonly K8sObject[], root: string): string[] {
  const file = join(root, 'test', 'deploy', '__manifests__.ts');
  const source = objects
    .map((o, i) => {
      const from = o.apiVersion.startsWith('gateway.networking.k8s.io/')
        ? `@kubernetes-models/gateway-api/${o.apiVersion}/${o.kind}`
        : `kubernetes-models/${o.apiVersion}/${o.kind}`;
      return (
        `import type { I${o.kind} as T${i} } from '${from}';\n` +
        `export const o${i} = ${JSON.stringify(o)} satisfies T${i};\n`
      );
    })
    .join('');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, lang, ...rest) =>
    name === file
      ? ts.createSourceFile(name, source, lang, true)
      : getSourceFile.call(host, name, lang, ...rest);
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.readFile = (name) => (name === file ? source : readFile.call(host, name));
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where =
      d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    const i = where ? Math.floor(where.line / 2) : -1;
    const what = objects[i] ? `${objects[i].kind} ${objects[i].metadata.name}` : '(program)';
    return `${what}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}
