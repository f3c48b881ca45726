// Inline handler of the member template's custom resource (AWS::Lambda::Function ZipFile, so it
// needs no asset bucket in a StackSet's accounts): turns on EventBridge notifications of each
// bucket named, keeping the bucket's other notification configurations (topics, queues, Lambda).
// On Delete it leaves them on: other tools may rely on them, and an event nobody forwards costs nothing.
const https = require('node:https');
const {
  S3Client,
  GetBucketNotificationConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
} = require('@aws-sdk/client-s3');

async function enable(s3, bucket) {
  const current = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
  if (current.EventBridgeConfiguration) return false;
  const { $metadata, ...configuration } = current;
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: { ...configuration, EventBridgeConfiguration: {} },
      SkipDestinationValidation: true,
    }),
  );
  return true;
}

function respond(event, status, reason) {
  const body = JSON.stringify({
    Status: status,
    Reason: reason,
    PhysicalResourceId: event.PhysicalResourceId || `eventbridge-notifications-${event.LogicalResourceId}`,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  return new Promise((resolve, reject) => {
    const request = https.request(
      event.ResponseURL,
      { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) } },
      (response) => {
        response.resume();
        response.on('end', resolve);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

exports.enable = enable;
exports.handler = async (event, _context, s3 = new S3Client({})) => {
  try {
    const names =
      event.RequestType === 'Delete'
        ? []
        : (event.ResourceProperties.BucketNames || []).filter((name) => name !== '');
    const changed = [];
    for (const bucket of names) if (await enable(s3, bucket)) changed.push(bucket);
    await respond(
      event,
      'SUCCESS',
      changed.length ? `EventBridge notifications turned on: ${changed.join(', ')}` : 'nothing to change',
    );
  } catch (error) {
    await respond(event, 'FAILED', `${error.name}: ${error.message}`.slice(0, 2000));
  }
};
