import { withLocalDistributedMaps } from '../../../src/local/distributed-map';

const processor = { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };
const distributed = {
  Type: 'Map',
  Label: 'Items',
  ItemReader: { Resource: 'arn:aws:states:::s3:listObjectsV2', Parameters: { 'Bucket.$': '$.bucket' } },
  ItemBatcher: { MaxItemsPerBatchPath: '$.size', BatchInput: { 'mode.$': '$.mode' } },
  MaxConcurrencyPath: '$.concurrency',
  ToleratedFailurePercentage: 5,
  ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, ...processor },
  ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'r', 'Prefix.$': '$.p' } },
  ResultPath: '$.map',
  Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Failed' }],
  Next: 'After',
};

test('a Distributed Map becomes a Task of the same name: its paths as templates the runner resolves, its own fields kept, no 60 s task timeout', () => {
  const { definition, maps } = withLocalDistributedMaps({ StartAt: 'M', States: { M: distributed } });

  expect((definition.States as Record<string, unknown>).M).toEqual({
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda-av-local:distributedMap',
    Parameters: {
      Label: 'Items',
      ItemReader: distributed.ItemReader,
      ItemBatcher: { 'MaxItemsPerBatch.$': '$.size', BatchInput: { 'mode.$': '$.mode' } },
      ResultWriter: distributed.ResultWriter,
      'MaxConcurrency.$': '$.concurrency',
      ToleratedFailurePercentage: 5,
    },
    TimeoutSeconds: 2_000_000,
    ResultPath: '$.map',
    Catch: distributed.Catch,
    Next: 'After',
  });
  expect(maps).toEqual([{ stateName: 'M', label: 'Items', processor }]);
});

test('inline Maps are left to the runner; what the adapter does not do is refused, not guessed', () => {
  const inline = {
    Type: 'Map',
    ItemsPath: '$.x',
    ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, ...processor },
    End: true,
  };
  expect(withLocalDistributedMaps({ StartAt: 'I', States: { I: inline } }).maps).toEqual([]);

  expect(() =>
    withLocalDistributedMaps({
      StartAt: 'M',
      States: { M: { ...distributed, ItemSelector: { 'k.$': '$$.Map.Item.Value.Key' } } },
    }),
  ).toThrow('local Distributed Map M: ItemSelector not supported');
});
