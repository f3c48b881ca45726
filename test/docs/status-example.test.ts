import { readFileSync } from 'node:fs';
import path from 'node:path';
import { byVerdict } from '../../src/cli/scans-by-account';
import { renderStatus } from '../../src/cli/status-render';
import type { VerdictTable } from '../../src/cli/status-report';
import type { Verdict } from '../../src/scan/contract';
import { HUB, MEMBER, statusReport } from '../support/status-report';

// docs/cli.md's `status` screens are what renderStatus prints for the figures they show.

const page = readFileSync(path.join(__dirname, '..', '..', 'docs', 'cli.md'), 'utf8');

/** The indented code block that follows `marker` in the page, without its indent. */
function block(marker: string): string {
  const start = page.indexOf(marker);
  expect(start).toBeGreaterThan(0);
  const body = page.slice(start + marker.length + 1);
  return body
    .slice(0, body.indexOf('\n  ```'))
    .split('\n')
    .map((line) => line.replace(/^ {2}/, ''))
    .join('\n');
}

type Cell = number | [count: number, p50: number, p99: number];
function table(cells: Partial<Record<Verdict, Cell>>): VerdictTable {
  return byVerdict((verdict) => {
    const cell = cells[verdict] ?? 0;
    return typeof cell === 'number' ? { count: cell } : { count: cell[0], p50: cell[1], p99: cell[2] };
  });
}

test("docs/cli.md's screen of a stack for its own account is the command's", () => {
  const lastHour = table({ CLEAN: [4, 20, 400], INFECTED: [1, 50, 50], UNSCANNABLE: [2, 70, 2000] });
  const lastDay = table({
    CLEAN: [6, 10, 400],
    INFECTED: [1, 50, 50],
    UNSCANNABLE: [2, 70, 2000],
    PROCESSING_ERROR: [1, 900, 900],
  });
  const status = statusReport({
    lastHour,
    lastDay,
    byAccount: [{ account: HUB, own: true, lastHour, lastDay }],
  });

  expect(block('$ npx lambda-av status --stack LambdaAv')).toBe(renderStatus(status));
});

test("docs/cli.md's scans of an organization hub are the command's", () => {
  const status = statusReport({
    lastHour: table({ CLEAN: [4, 10, 40], INFECTED: [1, 50, 50] }),
    lastDay: table({ CLEAN: [5, 30, 60], INFECTED: [1, 50, 50] }),
    byAccount: [
      {
        account: HUB,
        own: true,
        lastHour: table({ CLEAN: [2, 10, 30] }),
        lastDay: table({ CLEAN: [2, 10, 30] }),
      },
      {
        account: MEMBER,
        own: false,
        lastHour: table({ CLEAN: [1, 40, 40], INFECTED: [1, 50, 50] }),
        lastDay: table({ CLEAN: [2, 40, 60], INFECTED: [1, 50, 50] }),
      },
    ],
    withoutAccount: { lastHour: table({ CLEAN: 1 }), lastDay: table({ CLEAN: 1 }) },
  });
  const screen = renderStatus(status);
  const scans = screen.slice(screen.indexOf('Scans'), screen.indexOf('\n\nAlarms'));

  expect(block('$ npx lambda-av status --stack LambdaAv   # on a hub, the scans')).toBe(scans);
});
