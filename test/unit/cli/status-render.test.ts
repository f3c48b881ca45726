import { byVerdict } from '../../../src/cli/scans-by-account';
import { renderStatus } from '../../../src/cli/status-render';
import type { StackStatus, VerdictTable } from '../../../src/cli/status-report';
import type { Verdict } from '../../../src/scan/contract';
import { HUB, MEMBER, statusReport } from '../../support/status-report';

function table(counts: Partial<Record<Verdict, number>>): VerdictTable {
  return byVerdict((verdict) => {
    const count = counts[verdict] ?? 0;
    return count > 0 ? { count, p50: 20, p99: 400 } : { count };
  });
}

const ownOnly: StackStatus['scans'] = {
  lastHour: table({ CLEAN: 4 }),
  lastDay: table({ CLEAN: 6 }),
  byAccount: [{ account: HUB, own: true, lastHour: table({ CLEAN: 4 }), lastDay: table({ CLEAN: 6 }) }],
};

test('the header names the stack and the account it is in', () => {
  expect(renderStatus(statusReport(ownOnly)).split('\n')[0]).toBe(
    `lambda-av status of stack LambdaAv in account ${HUB}`,
  );
});

test('every line with content names an account', () => {
  const lines = renderStatus(
    statusReport(ownOnly, [{ account: HUB, name: 'LambdaAv-CanaryAlarm', reason: 'Threshold Crossed' }]),
  )
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('Scans '));

  expect(lines.filter((line) => !line.includes(HUB))).toEqual([]);
});

test('the definitions, canary and alarms lines say the stack account', () => {
  const screen = renderStatus(statusReport(ownOnly, [{ account: HUB, name: 'LambdaAv-CanaryAlarm' }]));

  expect(screen).toContain(
    `\nDefinitions  ${HUB}  20261130T000000Z-cafe0123, built 2026-11-30T04:00:00.000Z, 6 h old\n`,
  );
  expect(screen).toContain(
    `\nCanary       ${HUB}  detected at 2026-11-30T09:40:00.000Z, slowest scan 1500 ms\n`,
  );
  expect(screen).toContain(`\nAlarms       ${HUB}  1 in ALARM:\n  ${HUB}  LambdaAv-CanaryAlarm`);
});

test('a stack for its own account shows its scans once, with no totals lines', () => {
  const screen = renderStatus(statusReport(ownOnly));

  expect(screen).toMatch(
    new RegExp(`\\n  ${HUB}  CLEAN +4  p50 20 ms  p99 400 ms +6  p50 20 ms  p99 400 ms\\n`),
  );
  expect(screen).not.toContain('all accounts');
  expect(screen).not.toContain('no account');
});

test('the column heads stand over the counts', () => {
  const lines = renderStatus(statusReport(ownOnly)).split('\n');
  const head = lines.find((line) => line.startsWith('Scans')) ?? '';
  const row = lines.find((line) => line.includes(' CLEAN ')) ?? '';

  // Counts are right-aligned in six characters from where the heading starts.
  expect(row.slice(head.indexOf('last hour'), head.indexOf('last hour') + 6).trim()).toBe('4');
  expect(row.slice(head.indexOf('last day'), head.indexOf('last day') + 6).trim()).toBe('6');
});

test('a hub shows each account, the scans no account names, and every account together', () => {
  const screen = renderStatus(
    statusReport({
      lastHour: table({ CLEAN: 7, INFECTED: 1 }),
      lastDay: table({ CLEAN: 7, INFECTED: 1 }),
      byAccount: [
        { account: HUB, own: true, lastHour: table({ CLEAN: 4 }), lastDay: table({ CLEAN: 4 }) },
        {
          account: MEMBER,
          own: false,
          lastHour: table({ CLEAN: 1, INFECTED: 1 }),
          lastDay: table({ CLEAN: 1, INFECTED: 1 }),
        },
      ],
      withoutAccount: {
        lastHour: byVerdict((verdict) => ({ count: verdict === 'CLEAN' ? 2 : 0 })),
        lastDay: byVerdict((verdict) => ({ count: verdict === 'CLEAN' ? 2 : 0 })),
      },
    }),
  );

  expect(screen).toMatch(new RegExp(`\\n  ${MEMBER}  INFECTED +1  p50 20 ms  p99 400 ms +1  p50 20 ms`));
  expect(screen).toMatch(/\n {2}no account {4}CLEAN +2 +2\n/);
  expect(screen).toMatch(/\n {2}all accounts {2}CLEAN +7 {2}p50 20 ms/);
  const order = [HUB, MEMBER, 'no account', 'all accounts'].map((label) =>
    screen.search(new RegExp(`\\n  ${label} *  CLEAN`)),
  );
  expect(order.every((at) => at > 0)).toBe(true);
  expect(order).toEqual([...order].sort((a, b) => a - b));
});
