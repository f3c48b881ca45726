/**
 * aws-local-stepfunctions 3 uses `Promise.withResolvers` (Node 22). On Node 20 every Task would
 * fail with a TypeError that a States.ALL catcher swallows silently, so it is provided here;
 * import this module before aws-local-stepfunctions.
 */
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}
