import { Logger } from '@aws-lambda-powertools/logger';
import { SERVICE_NAME } from './settings';

/** Structured JSON logs; the level follows POWERTOOLS_LOG_LEVEL (default INFO). */
export const logger = new Logger({ serviceName: SERVICE_NAME });
