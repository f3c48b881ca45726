import { Logger } from '@aws-lambda-powertools/logger';

/** Structured JSON logs; the level follows POWERTOOLS_LOG_LEVEL (default INFO). */
export const logger = new Logger({ serviceName: 'lambda-av' });
