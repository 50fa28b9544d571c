import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { GatewayError, errorBody } from '../errors/gateway-error.js';
import { newRequestId } from './request-meta.js';

/**
 * Answers requests Node's HTTP parser refuses before any route runs (smuggling attempts such
 * as CL+TE or duplicate Content-Length, oversized or slow headers) in the one JSON error
 * shape, then closes the connection.
 */
export function handleClientError(log: Logger) {
  return function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const ge =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? new GatewayError('HEADERS_TOO_LARGE', 'Request headers too large')
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? new GatewayError('REQUEST_TIMEOUT', 'The request was not received in time')
          : new GatewayError('BAD_REQUEST', 'Malformed HTTP request');
    const requestId = newRequestId();
    log.warn({ reqId: requestId, code: err.code ?? 'unknown' }, 'refused malformed HTTP');
    endWith(socket, ge, requestId);
  };
}

/**
 * A CONNECT request (a proxy tunnel): this is not a proxy. Without a listener Node closes the
 * connection without a word; it gets the one error shape instead, 405 with Allow.
 */
export function handleConnect(socket: Duplex): void {
  // Node has taken its own error and timeout handlers off a CONNECT socket: without these, a
  // client that resets it would crash the process with an unhandled 'error'.
  socket.on('error', () => socket.destroy());
  (socket as Socket).setTimeout?.(5_000, () => socket.destroy());
  endWith(socket, new GatewayError('METHOD_NOT_ALLOWED', 'CONNECT is not supported: the gateway is not a proxy'), newRequestId(), 'Allow: GET, POST, DELETE\r\n');
}

function endWith(socket: Duplex, ge: GatewayError, requestId: string, extraHeaders = ''): void {
  const body = JSON.stringify(errorBody(ge, requestId));
  socket.end(
    `HTTP/1.1 ${ge.httpStatus} ${ge.code}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `${extraHeaders}X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
  );
}
