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
//   /extensions     send one text message "extensions: VALUE", VALUE being
//                   the Sec-WebSocket-Extensions the server answered with
//                   ("" for none), then echo
//   /deflate/PATH   PATH (any of the above) with permessage-deflate accepted
//                   when the client offers it; without the prefix it never is
//
// Any other path is refused with HTTP 404; a CODE ws cannot send is refused
// with HTTP 400. The process exits when stdin reaches end of file or on
// SIGTERM. It exits with status 3 when the ws package is missing.
'use strict';

const http = require('node:http');

const { WebSocketServer } = require('./load_ws');

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

// parseRoute maps a request path to {kind, arg, deflate} or null when
// unknown.
function parseRoute(url) {
  let path = url.split('?', 1)[0];
  const deflate = path.startsWith('/deflate/');
  if (deflate) path = path.slice('/deflate'.length);
  if (path === '/echo' || path === '/ignore-close' || path === '/extensions') return { kind: path.slice(1), deflate };
  const m = /^\/(close|drop-after)\/(\d+)$/.exec(path);
  if (m) return { kind: m[1], arg: Number(m[2]), deflate };
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

function serve(ws, route, extensions) {
  ws.on('error', (err) => process.stderr.write(`node-peer: ${err.message}\n`));
  switch (route.kind) {
    case 'echo':
      echo(ws);
      break;
    case 'extensions':
      ws.send(`extensions: ${extensions}`);
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

const maxPayload = 16 * 1024 * 1024;
const wss = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false });
// ws's defaults otherwise: it accepts the client's offer as made, so it
// answers gorilla's server_no_context_takeover and
// client_no_context_takeover, and compresses what it sends from 1 KiB up.
const wssDeflate = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: true });

// The Sec-WebSocket-Extensions each upgrade is answered with, for
// /extensions: ws emits 'headers' just before it writes the 101.
const answered = new WeakMap();
for (const s of [wss, wssDeflate]) {
  s.on('headers', (headers, req) => {
    const h = headers.find((line) => /^sec-websocket-extensions:/i.test(line));
    answered.set(req, h === undefined ? '' : h.slice(h.indexOf(':') + 1).trim());
  });
}
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
  const upgrader = route.deflate ? wssDeflate : wss;
  upgrader.handleUpgrade(req, socket, head, (ws) => serve(ws, route, answered.get(req) || ''));
});

let stopping = false;
function shutdown() {
  if (stopping) return;
  stopping = true;
  for (const ws of [...wss.clients, ...wssDeflate.clients]) ws.terminate();
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
