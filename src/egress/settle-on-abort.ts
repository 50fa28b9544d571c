/**
 * A request's promise, settled early with the signal's reason as soon as it aborts. undici
 * acts on an abort only once a request reaches a connection: one waiting in a pool's queue
 * (every connection busy) would otherwise hold its caller past every deadline until a
 * connection frees up. The request is still dropped then, before anything is written.
 */
export function settleOnAbort<T>(request: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    request.then(
      (res) => {
        signal.removeEventListener('abort', onAbort);
        resolve(res);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
