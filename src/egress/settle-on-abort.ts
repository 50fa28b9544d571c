/**
 * A request's promise, settled early with the abort's reason as soon as the caller aborts.
 * undici acts on an abort only once a request reaches a connection: one waiting in a pool's
 * queue (every connection busy) would otherwise hold its caller past every deadline until a
 * connection frees up. The request is still dropped then, before anything is written.
 */
export function settleOnAbort<T>(request: Promise<T>, subscribe: (onAbort: () => void) => () => void, reason: () => unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const unsubscribe = subscribe(() => reject(reason()));
    request.then(
      (res) => {
        unsubscribe();
        resolve(res);
      },
      (err: unknown) => {
        unsubscribe();
        reject(err);
      },
    );
  });
}
