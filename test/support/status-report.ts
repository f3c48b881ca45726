import type { StackStatus } from '../../src/cli/status-report';

/** The accounts of the status examples: an organization hub and one member. */
export const HUB = '111111111111';
export const MEMBER = '222222222222';

/** A hub stack's status with these scans and alarms: definitions published 6 hours ago, the canary detected. */
export function statusReport(scans: StackStatus['scans'], alarms: StackStatus['alarms'] = []): StackStatus {
  return {
    stack: 'LambdaAv',
    account: HUB,
    definitions: {
      account: HUB,
      published: true,
      layout: 'manifest',
      version: '20261130T000000Z-cafe0123',
      builtAt: '2026-11-30T04:00:00.000Z',
      ageHours: 6,
    },
    canary: {
      account: HUB,
      reported: true,
      time: '2026-11-30T09:40:00.000Z',
      detected: true,
      latencyMs: 1500,
    },
    scans,
    alarms,
  };
}
