/**
 * docs/configuration.md, generated from the settings registry (src/settings.ts): every variable,
 * who sets it, its default, what it accepts and what it does. `npm run docs` writes it;
 * test/docs/generated.test.ts fails when it is out of date. Edit the registry, not the page.
 */
import path from 'node:path';
import { SETTINGS, type Setting, type SettingSource } from '../src/settings';

export const CONFIGURATION_PAGE = path.join(__dirname, '..', 'docs', 'configuration.md');

const SECTIONS: ReadonlyArray<{ source: SettingSource; title: string; intro: string }> = [
  {
    source: 'deployment',
    title: 'Set by the CDK app on the functions it deploys',
    intro:
      "The app derives each from its props or context keys ([props](API.md#LambdaAvProps), [the deploy guide](deploy.md#settings)); `lambda-av update` and `lambda-av serve` read the updater's from their own environment.",
  },
  {
    source: 'cli',
    title: 'Set where lambda-av runs outside the deployed functions',
    intro: 'For the `lambda-av` command ([command line](cli.md)) and the local stacks.',
  },
  {
    source: 'runtime',
    title: 'Set by the Lambda runtime',
    intro: 'Read, never set by lambda-av.',
  },
];

const code = (text: string) => `\`${text}\``;
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function defaultOf(setting: Setting): string {
  if ('required' in setting && setting.required) return '(required)';
  if (!('default' in setting) || setting.default === undefined) return 'unset';
  if (setting.default === '') return 'empty';
  const value = code(String(setting.default));
  const mib = typeof setting.default === 'number' ? setting.default / 2 ** 20 : 0;
  return Number.isInteger(mib) && mib >= 1 ? `${value} (${mib} MiB)` : value;
}

function acceptedOf(name: string, setting: Setting): string {
  switch (setting.kind) {
    case 'integer':
      return `${setting.min} to ${setting.max}${name.endsWith('_MS') ? ' ms' : ''}`;
    case 'choice':
      return setting.choices.map(code).join(', ');
    case 'tag-key':
      return 'an S3 tag key';
    case 'status':
      return 'an S3 tag value';
    case 'url':
      return `a URL (${setting.protocols.join(' ')})`;
    case 'list': {
      const deployed = setting.deployedProtocols
        ? `; deployed functions: ${setting.deployedProtocols.join(' ')}`
        : '';
      const items = setting.choices
        ? `of ${setting.choices.map(code).join(', ')}`
        : setting.protocols
          ? `URLs (${setting.protocols.join(' ')}${deployed})`
          : '';
      return `comma-separated ${items}`.trim();
    }
    case 'json':
      return 'JSON';
    case 'secret-reference': {
      const reference = '`secretsmanager:<ARN>[#<field>]` or `ssm:<name>`';
      const held = `holding a URL (${setting.protocols.join(' ')})`;
      return setting.list
        ? `comma-separated references, each ${reference}, ${held}`
        : `${reference}, ${held}`;
    }
    default:
      return 'text';
  }
}

/** The whole page. */
export function configurationPage(settings: Readonly<Record<string, Setting>> = SETTINGS): string {
  const entries = Object.entries(settings);
  const lines = [
    '# Configuration',
    '',
    '<!-- Generated from src/settings.ts by `npm run docs` (scripts/docs-config.ts): edit the registry, not this page. -->',
    '',
    'Every variable lambda-av reads is written down once, in `src/settings.ts` (its name, default,',
    'limits or choices and what it does), and read and validated once, in `src/config.ts`; the CDK',
    'app checks its props against the same registry and sets only these names on its functions. A',
    'missing or malformed value fails with a `ConfigurationError` naming the variable and the value',
    'received. The clean and infected `FILE_STATUS_*` names must each differ from the other four (an',
    'unscannable object must never carry the clean name); UNSCANNABLE, SKIPPED and PROCESSING_ERROR',
    "may share one, as GuardDuty's `UNSUPPORTED` does.",
  ];
  for (const section of SECTIONS) {
    lines.push(
      '',
      `## ${section.title}`,
      '',
      section.intro,
      '',
      '| variable | default | accepts | what it does |',
      '| --- | --- | --- | --- |',
      ...entries
        .filter(([, setting]) => setting.source === section.source)
        .map(
          ([name, setting]) =>
            `| ${code(name)} | ${defaultOf(setting)} | ${cell(acceptedOf(name, setting))} | ${cell(setting.doc)} |`,
        ),
    );
  }
  lines.push(
    '',
    '## Not in the registry',
    '',
    "- `POWERTOOLS_LOG_LEVEL`: the level of the functions' structured JSON logs (Powertools logger).",
    "- The AWS SDK's own variables (credentials, region, `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_S3`,",
    '  `AWS_ENDPOINT_URL_SFN`, ...): the command and the local stacks use them as any SDK client does.',
    '',
  );
  return lines.join('\n');
}
