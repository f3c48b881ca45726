import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The layers of src/, lowest first. A module may import from its own layer and the layers below it,
 * never above: a walk of one scan goes down the list and never comes back up. The one exception is
 * the scan contract (src/scan/contract.ts), the types that flow between every layer: results/, the
 * client and the actions read it, although the scan core sits above results/ (the Scanner publishes
 * result events).
 */
const LAYERS: readonly (readonly string[])[] = [
  ['settings.ts', 'errors.ts', 'config.ts', 'logger.ts', 'aws-clients.ts', 'metrics.ts', 'util', 'asl'],
  ['accounts'],
  ['clamd'],
  ['definitions'],
  ['results'],
  ['scan'],
  ['bulk', 'canary', 'actions', 'redrive'],
  ['handlers', 'index.ts'],
  ['client'],
  ['local-scan'],
  ['local'],
  ['cli'],
];
const CONTRACT = 'scan/contract.ts';

const SRC = path.resolve(__dirname, '../../../src');

function sourceFiles(): string[] {
  return readdirSync(SRC, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.relative(SRC, path.join(entry.parentPath, entry.name)));
}

/** The top folder of a file under src/, or the file's name for a file at the top. */
function part(file: string): string {
  return file.split(path.sep)[0] ?? file;
}

function layerOf(file: string): number {
  const index = LAYERS.findIndex((layer) => layer.includes(part(file)));
  if (index < 0) throw new Error(`src/${file} is in no layer: add its folder to LAYERS`);
  return index;
}

/** Relative imports of a file (static imports, `export ... from`, dynamic `import()` and `require`). */
function relativeImports(file: string): string[] {
  const text = readFileSync(path.join(SRC, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import\(|require\()\s*'(\.{1,2}\/[^']+)'/g)].map(
    (m) => m[1] ?? '',
  );
  return specifiers.map((specifier) => {
    const target = path.normalize(path.join(path.dirname(file), specifier));
    return target.endsWith('.json') ? target : `${target}.ts`;
  });
}

test('every folder and top-level file of src/ is in exactly one layer', () => {
  const parts = new Set(sourceFiles().map(part));
  for (const name of parts) {
    expect({ name, layers: LAYERS.filter((layer) => layer.includes(name)).length }).toEqual({
      name,
      layers: 1,
    });
  }
});

test('no module of src/ imports from a layer above its own', () => {
  const upward: string[] = [];
  for (const file of sourceFiles()) {
    for (const target of relativeImports(file)) {
      if (target.startsWith('..')) {
        upward.push(`src/${file} imports ${target} outside src/`);
      } else if (target !== CONTRACT && layerOf(target) > layerOf(file)) {
        upward.push(`src/${file} imports src/${target}`);
      }
    }
  }
  expect(upward).toEqual([]);
});

test('the check sees an upward import (the scan core importing a handler would be one)', () => {
  expect(layerOf(path.join('handlers', 'scan-file.ts'))).toBeGreaterThan(
    layerOf(path.join('scan', 'scanner.ts')),
  );
  expect(relativeImports(path.join('scan', 'scanner.ts'))).toContain(path.join('scan', 'scan-object.ts'));
});
