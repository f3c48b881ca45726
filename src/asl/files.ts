import path from 'node:path';

/**
 * The state machines of this project, in `statemachine/`: deployed by the CDK app, run by the
 * local runner and the tests.
 */
export const STATE_MACHINE_DIR = path.join(__dirname, '..', '..', 'statemachine');
export const SCAN_STATE_MACHINE = path.join(STATE_MACHINE_DIR, 'scan.asl.json');
export const SCAN_EXPRESS_STATE_MACHINE = path.join(STATE_MACHINE_DIR, 'scan-express.asl.json');
export const UPDATE_STATE_MACHINE = path.join(STATE_MACHINE_DIR, 'update-definitions.asl.json');
export const ACT_ON_INFECTED_STATE_MACHINE = path.join(STATE_MACHINE_DIR, 'act-on-infected.asl.json');
export const BULK_SCAN_STATE_MACHINE = path.join(STATE_MACHINE_DIR, 'bulk-scan.asl.json');
