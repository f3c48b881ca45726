import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { memberTemplate } from '../infra/organization/member-template';

// Writes the member template for a service-managed StackSet: npx tsx scripts/member-template.ts [DIR]
const dir = process.argv[2] ?? 'dist/templates';
mkdirSync(dir, { recursive: true });
const file = path.join(dir, 'lambda-av-member.template.json');
writeFileSync(file, `${JSON.stringify(memberTemplate(), null, 2)}\n`);
process.stdout.write(`${file}\n`);
