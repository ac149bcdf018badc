import { describe, expect, it } from '@jest/globals';
import { DockerfileParser, type Copy, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { dockerignore } from './dockerignore.js';

const ROOT = join(import.meta.dirname, '..', '..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const dockerfileText = read('Dockerfile');
const dockerfile = DockerfileParser.parse(dockerfileText);
const stages = dockerfile.getFROMs().map((from) => ({
  name: from.getBuildStage(),
  image: from.getImageName(),
  instructions: [] as Instruction[],
}));
{
  let stage = -1;
  for (const ins of dockerfile.getInstructions()) {
    if (ins.getKeyword() === 'FROM') stage++;
    else if (stage >= 0) stages[stage].instructions.push(ins);
  }
}
const runtime = stages.at(-1)!;
const args = (ins: Instruction) => ins.getArguments().map((a) => a.getValue());
const fromStage = (ins: Instruction) =>
  ins.getKeyword() === 'COPY'
    ? (ins as Copy)
        .getFlags()
        .find((f) => f.getName() === 'from')
        ?.getValue()
    : undefined;
const last = (keyword: string) =>
  runtime.instructions.filter((i) => i.getKeyword() === keyword).at(-1);
const trackedFiles = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], {
  cwd: ROOT,
  encoding: 'utf8',
})
  .split('\n')
  .filter(Boolean);

describe('Dockerfile', () => {
  it('passes dockerfile-utils linting with no problem of any severity', () => {
    expect(validate(dockerfileText).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual(
      [],
    );
  });

  it('builds in one stage and runs from the official Node image matching package.json', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    const arg = dockerfile.getARGs().find((a) => a.getProperty()?.getName() === 'NODE_IMAGE');
    const image = arg!.getProperty()!.getValue()!;
    expect(stages.every((s) => s.image === '${NODE_IMAGE}')).toBe(true);
    const major = /^node:(\d+)[-.]/.exec(image)?.[1];
    const engines = JSON.parse(read('package.json')).engines.node as string;
    expect(engines).toMatch(new RegExp(`^>=${major}\\.\\d+ <${Number(major) + 1}$`));
  });

  it('installs with npm ci, builds, and keeps only production dependencies', () => {
    const runs = stages[0].instructions
      .filter((i) => i.getKeyword() === 'RUN')
      .map((i) => args(i).join(' '));
    expect(runs[0]).toMatch(/^npm ci\b/);
    expect(runs.join(' ')).toMatch(/npm run build .*npm prune --omit=dev/);
  });

  it('runs as a numeric non-root user with NODE_ENV=production', () => {
    const user = args(last('USER')!)[0];
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    const env = runtime.instructions
      .filter((i) => i.getKeyword() === 'ENV')
      .flatMap((i) => args(i))
      .join(' ');
    expect(env).toMatch(/(^|\s)NODE_ENV=production(\s|$)/);
  });

  it('stops with SIGTERM (the drain signal) and starts the built entry point in exec form', () => {
    expect(args(last('STOPSIGNAL')!)).toEqual(['SIGTERM']);
    const cmd = last('CMD')!;
    const raw = cmd.getRawArgumentsContent()!;
    expect(JSON.parse(raw)).toEqual(['node', 'dist/main.js']);
    // What `npm run build` emits for src/main.ts, and what `npm start` runs.
    const build = JSON.parse(read('tsconfig.build.json')).compilerOptions;
    const emitted = posix.join(build.outDir, posix.relative(build.rootDir, 'src/main.ts'));
    expect(emitted.replace(/\.ts$/, '.js')).toBe('dist/main.js');
    expect(JSON.parse(read('package.json')).scripts.start).toBe('node dist/main.js');
    expect(existsSync(join(ROOT, 'src/main.ts'))).toBe(true);
  });

  it('copies from the context only files that exist and that .dockerignore lets through', () => {
    const included = dockerignore(read('.dockerignore'));
    const copies = stages.flatMap((s) =>
      s.instructions.filter((i) => i.getKeyword() === 'COPY' && !fromStage(i)),
    );
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const sources = args(copy).slice(0, -1);
      for (const source of sources) {
        const files = trackedFiles.filter((f) => f === source || f.startsWith(`${source}/`));
        expect([source, files.length > 0]).toEqual([source, true]);
        const shipped = files.filter(included);
        expect([source, shipped.length > 0]).toEqual([source, true]);
      }
    }
    expect(included('src/main.ts')).toBe(true);
    expect(included('src/config/app-config.spec.ts')).toBe(false);
    expect(included('node_modules/jest/package.json')).toBe(false);
    expect(included('.env')).toBe(false);
  });

  it('copies into the runtime stage only what the build stage produced', () => {
    // package.json copied in, node_modules from npm ci, dist from the build's outDir.
    const workdir = stages[0].instructions.find((i) => i.getKeyword() === 'WORKDIR')!;
    expect(args(workdir)).toEqual(['/app']);
    expect(JSON.parse(read('tsconfig.build.json')).compilerOptions.outDir).toBe('dist');
    const produced = ['/app/package.json', '/app/node_modules', '/app/dist'];
    const fromBuild = runtime.instructions.filter((i) => fromStage(i) === 'build');
    expect(fromBuild.map((i) => args(i)[0]).sort()).toEqual([...produced].sort());
  });
});
