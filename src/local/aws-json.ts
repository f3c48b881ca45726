import type http from 'node:http';
import { LocalServiceError } from '../errors';

/** Answers in AWS's JSON protocol (`application/x-amz-json-1.0` or `-1.1`, as the service speaks). */
export function sendAwsJson(
  response: http.ServerResponse,
  status: number,
  body: unknown,
  version: '1.0' | '1.1' = '1.0',
): void {
  response.writeHead(status, { 'content-type': `application/x-amz-json-${version}` });
  response.end(JSON.stringify(body));
}

/** The error body AWS's JSON protocols send: a LocalServiceError's type, else `fallbackType`. */
export function awsErrorBody(error: unknown, fallbackType: string): { __type: string; message: string } {
  return {
    __type: error instanceof LocalServiceError ? error.type : fallbackType,
    message: error instanceof Error ? error.message : String(error),
  };
}
