import net from 'node:net';

/**
 * Opens a POST whose JSON body is sent in two parts: headers and the first part now, the
 * rest when `finish()` is called. While it waits, the request is in flight at the gateway.
 */
export function slowPost(port: number, path: string, token: string, body: string) {
  const sock = net.connect(port, '127.0.0.1');
  let data = '';
  const closed = new Promise<{ status: number; raw: string }>((resolve) => {
    sock.on('data', (d) => (data += d.toString('utf8')));
    sock.on('error', () => undefined);
    sock.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0), raw: data }));
  });
  const half = Math.floor(body.length / 2);
  const ready = new Promise<void>((resolve) =>
    sock.on('connect', () => {
      sock.write(
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body.slice(0, half)}`,
        () => resolve(),
      );
    }),
  );
  return {
    ready,
    finish: () => sock.write(body.slice(half)),
    response: closed,
  };
}
