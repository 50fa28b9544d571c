import { request } from 'node:http';

/**
 * POSTs with node:http rather than fetch, because fetch replaces any Host header with the
 * URL's own and the DNS-rebinding checks need a Host of the test's choosing.
 */
export function rawPost(url: string, headers: Record<string, string>, body = '{}'): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.once('error', reject);
    req.end(body);
  });
}
