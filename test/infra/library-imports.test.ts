import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

/**
 * The construct library (infra/index.ts and every file it reaches) is loaded by a team's own CDK app,
 * which has aws-cdk-lib and constructs (the peer dependencies) and nothing else of ours; jsii's other
 * languages load the same code. scripts/package.ts checks the compiled package too, but only in the
 * slow package proof: this check runs on the sources with every change.
 */
const INFRA = path.resolve(__dirname, '../../infra');
const PEERS = ['aws-cdk-lib', 'constructs'];

/** The relative files infra/index.ts loads, and every package specifier they import. */
function libraryImports(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const visit = (file: string): void => {
    if (found.has(file)) return;
    const code = readFileSync(file, 'utf8');
    const specifiers = [...code.matchAll(/^(?:import|export)\s(?!type\s)[^;]*?from\s+'([^']+)'/gms)].map(
      (m) => m[1] ?? '',
    );
    found.set(
      file,
      specifiers.filter((s) => !s.startsWith('.')),
    );
    for (const relative of specifiers.filter((s) => s.startsWith('.'))) {
      const target = path.resolve(path.dirname(file), relative);
      visit(existsSync(`${target}.ts`) ? `${target}.ts` : path.join(target, 'index.ts'));
    }
  };
  visit(path.join(INFRA, 'index.ts'));
  return found;
}

test('the construct library imports only its peer dependencies and Node built-ins', () => {
  const imports = libraryImports();
  const foreign = [...imports].flatMap(([file, specifiers]) =>
    specifiers
      .filter((s) => !s.startsWith('node:') && !builtinModules.includes(s))
      .filter(
        (s) =>
          !PEERS.includes(s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : (s.split('/')[0] ?? '')),
      )
      .map((s) => `${path.relative(INFRA, file)} imports ${s}`),
  );

  expect(imports.size).toBeGreaterThan(20);
  expect(foreign).toEqual([]);
});
