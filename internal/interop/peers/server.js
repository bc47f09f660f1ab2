// WebSocket interop peer for wsfsm's tests, built on the npm package `ws`
// (version pinned in package-lock.json; install with `npm ci` in this
// directory, or run install.sh).
//
// It listens on 127.0.0.1, port 0, prints exactly one line `LISTENING <port>`
// on stdout once ready, and serves by path:
//
//   /echo           echo every message with its type (text or binary)
//   /close/CODE     send a close frame with CODE and the reason
//                   "wsfsm interop: close CODE", then finish the handshake
//   /drop-after/N   echo N messages, then drop TCP without a close frame
//   /ignore-close   echo data, never answer a close frame, never close TCP
//
// Any other path is refused with HTTP 404; a CODE ws cannot send is refused
// with HTTP 400. The process exits when stdin reaches end of file or on
// SIGTERM. It exits with status 3 when the ws package is missing.
'use strict';

const http = require('node:http');

const EXIT_MISSING_LIBRARY = 3;

let WebSocketServer;
try {
  ({ WebSocketServer } = require('ws'));
} catch (err) {
  process.stderr.write(
    `MISSING npm ws: ${err.message.split('\n')[0]} ` +
      `(install: npm ci --prefix internal/interop/peers)\n`
  );
  process.exit(EXIT_MISSING_LIBRARY);
}

// Mirrors ws's own rule for codes it agrees to send (lib/validation.js).
function sendableCode(code) {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999)
  );
}

function closeReason(code) {
  return `wsfsm interop: close ${code}`;
}

// parseRoute maps a request path to {kind, arg} or null when unknown.
function parseRoute(url) {
  const path = url.split('?', 1)[0];
  if (path === '/echo') return { kind: 'echo' };
  if (path === '/ignore-close') return { kind: 'ignore-close' };
  const m = /^\/(close|drop-after)\/(\d+)$/.exec(path);
  if (m) return { kind: m[1], arg: Number(m[2]) };
  return null;
}

function refuse(socket, status, body) {
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n` +
      'Connection: close\r\nContent-Type: text/plain\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

function echo(ws, limit) {
  let count = 0;
  ws.on('message', (data, isBinary) => {
    if (limit !== undefined && count >= limit) return;
    count++;
    ws.send(data, { binary: isBinary }, () => {
      // Drop only once the last echo was handed to the kernel.
      if (limit !== undefined && count === limit) ws.terminate();
    });
  });
  if (limit === 0) ws.terminate();
}

function serve(ws, route) {
  ws.on('error', (err) => process.stderr.write(`node-peer: ${err.message}\n`));
  switch (route.kind) {
    case 'echo':
      echo(ws);
      break;
    case 'close':
      ws.close(route.arg, closeReason(route.arg));
      break;
    case 'drop-after':
      echo(ws, route.arg);
      break;
    case 'ignore-close':
      // ws answers a close frame by calling this instance's close() from its
      // receiver, then waits for TCP to end; it has no option to stay silent.
      // Shadowing close() on this one connection keeps the close unanswered
      // and the socket open until the client drops TCP.
      ws.close = () => {};
      echo(ws);
      break;
  }
}

const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
const server = http.createServer((req, res) => {
  res.writeHead(426, { 'Content-Type': 'text/plain' }).end('WebSocket only\n');
});

server.on('upgrade', (req, socket, head) => {
  socket.on('error', () => {});
  const route = parseRoute(req.url);
  if (route === null) return refuse(socket, 404, 'unknown path\n');
  if (route.kind === 'close' && !sendableCode(route.arg)) {
    return refuse(socket, 400, 'close code not sendable\n');
  }
  wss.handleUpgrade(req, socket, head, (ws) => serve(ws, route));
});

let stopping = false;
function shutdown() {
  if (stopping) return;
  stopping = true;
  for (const ws of wss.clients) ws.terminate();
  server.close();
  process.exit(0);
}

process.on('SIGTERM', shutdown);
process.stdin.on('end', shutdown);
process.stdin.on('close', shutdown);
process.stdin.on('error', shutdown);
process.stdin.resume();

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`);
});
