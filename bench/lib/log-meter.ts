import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DIMENSION_STATUS, METRIC_SCAN_LATENCY, METRICS_NAMESPACE } from '../../src/metrics';
import type { Verdict } from '../../src/scan/contract';
import { SERVICE_NAME } from '../../src/settings';

const REQUEST_ID = '8f507cfc-1e9f-4bd6-a6f0-2f4d3c5b6a7e';
const TRACE_ID = '1-5759e988-bd862e3fe1be46a994272793';

/**
 * Counts the bytes the scanner would write to CloudWatch Logs while counting (the benchmark's
 * scanner writes nothing): its structured lines as the Powertools logger formats them, its
 * metrics as the Powertools EMF serializer writes them, and Lambda's own START, END and REPORT
 * lines per invocation.
 */
export class LogMeter {
  private bytes: number | undefined;

  begin(): void {
    this.bytes = 0;
  }

  /** Bytes counted since `begin`; counting stops. */
  end(): number {
    const counted = this.bytes ?? 0;
    this.bytes = undefined;
    return counted;
  }

  line(level: string, message: string, fields: Record<string, unknown> = {}): void {
    if (this.bytes === undefined) return;
    this.bytes += lineBytes({
      level,
      message,
      sampling_rate: 0,
      service: SERVICE_NAME,
      timestamp: new Date().toISOString(),
      xray_trace_id: TRACE_ID,
      ...fields,
    });
  }

  scanMetric(verdict: Verdict, durationMs: number): void {
    if (this.bytes === undefined) return;
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
    metrics.addDimension(DIMENSION_STATUS, verdict);
    metrics.addMetric(METRIC_SCAN_LATENCY, MetricUnit.Milliseconds, durationMs);
    this.bytes += lineBytes(metrics.serializeMetrics());
    metrics.clearMetrics();
  }

  /** Lambda's platform lines for one invocation. */
  invocation(durationMs: number, memoryMiB: number): void {
    if (this.bytes === undefined) return;
    const billed = Math.ceil(durationMs);
    this.bytes += [
      `START RequestId: ${REQUEST_ID} Version: $LATEST`,
      `END RequestId: ${REQUEST_ID}`,
      `REPORT RequestId: ${REQUEST_ID}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${billed} ms\tMemory Size: ${memoryMiB} MB\tMax Memory Used: ${memoryMiB - 1} MB\t`,
    ].reduce((sum, text) => sum + Buffer.byteLength(text) + 1, 0);
  }
}

const lineBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value)) + 1;
