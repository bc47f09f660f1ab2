// WebSocket interop client for wsfsm's tests, built on the npm package `ws`
// (the same pinned version as server.js).
//
// Usage: node client.js URL [--subprotocol P]... [--cafile FILE]
//          [--send TEXT | --send-hex HEX]... [--receive N]
//          [--close-timeout SECONDS] [--timeout SECONDS]
//
// It connects to URL, sends the messages in order, receives until --receive
// messages came or the server ended the connection, closes with 1000 if the
// connection is still open, and prints one JSON object on stdout with the
// same fields as client.py: opened, subprotocol, messages, close, error,
// http_status, retry_after (see client.py). It exits 0 whenever it printed
// the report, 2 on bad usage and 3 when the ws package is missing.
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');

const INLINE_LIMIT = 4096;

const { WebSocket } = require('./load_ws');

function usage(msg) {
  process.stderr.write(`client.js: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const args = { url: null, subprotocols: [], cafile: null, sends: [], receive: null, closeTimeout: 2, timeout: 10 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--subprotocol': args.subprotocols.push(value()); break;
      case '--cafile': args.cafile = value(); break;
      case '--send': args.sends.push({ data: value(), binary: false }); break;
      case '--send-hex': args.sends.push({ data: Buffer.from(value(), 'hex'), binary: true }); break;
      case '--receive': args.receive = Number(value()); break;
      case '--close-timeout': args.closeTimeout = Number(value()); break;
      case '--timeout': args.timeout = Number(value()); break;
      default:
        if (a.startsWith('--') || args.url !== null) usage(`unexpected argument ${a}`);
        args.url = a;
    }
  }
  if (args.url === null) usage('missing URL');
  return args;
}

function record(data, isBinary) {
  const m = {
    type: isBinary ? 'binary' : 'text',
    size: data.length,
    sha256: crypto.createHash('sha256').update(data).digest('hex'),
  };
  if (data.length <= INLINE_LIMIT) m.data = isBinary ? data.toString('base64') : data.toString('utf8');
  return m;
}

// The close code ws sends when it fails a connection is kept on the error
// under the symbol ws names 'status-code'.
function statusCode(err) {
  const sym = Object.getOwnPropertySymbols(err).find((s) => s.description === 'status-code');
  return sym === undefined ? undefined : err[sym];
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const report = { opened: false, subprotocol: null, messages: [], close: null, error: null };
  const close = { sent: null, sent_reason: '', received: null, received_reason: '' };
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    clearTimeout(overall);
    process.stdout.write(JSON.stringify(report) + '\n', () => process.exit(0));
  };

  const opts = { handshakeTimeout: args.timeout * 1000, maxPayload: 0, perMessageDeflate: false };
  if (args.cafile !== null) opts.ca = fs.readFileSync(args.cafile);
  const ws = new WebSocket(args.url, args.subprotocols, opts);

  const overall = setTimeout(() => {
    report.error = report.error || `timeout: the run took more than ${args.timeout}s`;
    ws.terminate();
    finish();
  }, args.timeout * 1000);

  let closeTimer = null;
  const closeNow = () => {
    if (close.sent !== null || ws.readyState !== WebSocket.OPEN) return;
    close.sent = 1000;
    close.sent_reason = 'client done';
    ws.close(1000, 'client done');
    closeTimer = setTimeout(() => ws.terminate(), args.closeTimeout * 1000);
  };

  ws.on('unexpected-response', (req, res) => {
    report.error = `server rejected WebSocket connection: HTTP ${res.statusCode}`;
    report.http_status = res.statusCode;
    report.retry_after = res.headers['retry-after'] === undefined ? null : res.headers['retry-after'];
    req.destroy();
    finish();
  });
  ws.on('open', () => {
    report.opened = true;
    report.subprotocol = ws.protocol === '' ? null : ws.protocol;
    for (const s of args.sends) ws.send(s.data, { binary: s.binary });
    if (args.receive === 0) closeNow();
  });
  ws.on('message', (data, isBinary) => {
    report.messages.push(record(data, isBinary));
    if (args.receive !== null && report.messages.length >= args.receive) closeNow();
  });
  ws.on('ping', () => {}); // ws answers pings by itself (autoPong)
  ws.on('error', (err) => {
    report.error = err.code ? `${err.code}: ${err.message}` : err.message;
    const code = statusCode(err);
    if (code !== undefined && close.sent === null) {
      close.sent = code; // ws sends it as it fails the connection
    }
  });
  ws.on('close', (code, reason) => {
    clearTimeout(closeTimer);
    if (code !== 1006) {
      close.received = code === 1005 ? null : code;
      close.received_reason = reason.toString('utf8');
      if (close.sent === null) {
        close.sent = close.received; // ws echoes the server's close frame
        close.sent_reason = '';
      }
    }
    report.close = close;
    if (report.opened || report.error !== null) finish();
  });
}

main();
