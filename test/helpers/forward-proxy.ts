import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

/*
 * A small forwarding HTTP proxy on 127.0.0.1, as a corporate proxy works: absolute-URI GETs for
 * http:// (`GET http://host:port/path HTTP/1.1`) and CONNECT tunnels for https://. It counts what
 * it carries, and can ask for credentials (407) as Squid does.
 */

export interface ForwardProxy {
  /** `http://127.0.0.1:port`. */
  url: string;
  /** Absolute-URI requests forwarded (plain http), by their URL. */
  requests: string[];
  /** CONNECT tunnels opened, by their target (`127.0.0.1:4433`). */
  tunnels: string[];
  /** Requests and CONNECTs answered 407 (no or wrong credentials). */
  refused: number;
  /** Local ports of the proxy's connections to targets: a request whose remote port is one of them came through the proxy. */
  upstreamPorts: Set<number>;
  close(): Promise<void>;
}

export interface ForwardProxyOptions {
  /** `user:password` the proxy requires (Basic); without it anyone may use the proxy. */
  credentials?: string;
  /** With `credentials`: this many requests and CONNECTs pass without them first (a proxy that starts refusing mid-run). */
  freeRequests?: number;
}

export async function startForwardProxy(options: ForwardProxyOptions = {}): Promise<ForwardProxy> {
  const sockets = new Set<Socket>();
  const proxy: Omit<ForwardProxy, 'url' | 'close'> = { requests: [], tunnels: [], refused: 0, upstreamPorts: new Set() };
  const expected = options.credentials === undefined ? null : `Basic ${Buffer.from(options.credentials).toString('base64')}`;
  let free = options.freeRequests ?? 0;
  const allowed = (request: IncomingMessage): boolean => expected === null || request.headers['proxy-authorization'] === expected || free-- > 0;
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };

  const server: Server = createServer((request, response) => forward(request, response));
  server.on('connection', track);

  const forward = (request: IncomingMessage, response: ServerResponse): void => {
    if (!allowed(request)) {
      proxy.refused += 1;
      response.writeHead(407, { 'proxy-authenticate': 'Basic realm="test proxy"', 'content-type': 'text/html' });
      response.end('<html><body>407 Proxy Authentication Required</body></html>');
      return;
    }
    if (!(request.url ?? '').startsWith('http://')) {
      response.writeHead(400);
      response.end('a proxy request needs an absolute URI');
      return;
    }
    proxy.requests.push(request.url as string);
    const target = new URL(request.url as string);
    const headers = { ...request.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = httpRequest({ host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: request.method, headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
      answer.on('error', () => response.destroy());
    });
    upstream.on('socket', (socket) => socket.once('connect', () => proxy.upstreamPorts.add(socket.localPort as number)));
    upstream.on('error', () => {
      if (!response.headersSent) response.writeHead(502);
      response.end();
    });
    response.on('close', () => upstream.destroy());
    request.pipe(upstream);
  };

  server.on('connect', (request: IncomingMessage, client: Socket, head: Buffer) => {
    track(client);
    if (!allowed(request)) {
      proxy.refused += 1;
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test proxy"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const [host, port] = (request.url ?? '').split(':');
    proxy.tunnels.push(request.url ?? '');
    const upstream = connect(Number(port), host as string, () => {
      proxy.upstreamPorts.add(upstream.localPort as number);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    track(upstream);
    upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n'));
    client.on('error', () => upstream.destroy());
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
