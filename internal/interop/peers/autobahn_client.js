// Autobahn|Testsuite client harness on the npm package `ws` (the version
// pinned in package-lock.json), for wsfsm's conformance table.
//
// Usage: node autobahn_client.js ws://HOST:PORT AGENT [N,N,...]
//
// It speaks the fuzzing server's protocol as Autobahn's own harnesses do (and
// as ws's test/autobahn.js does): /getCaseCount, then for every case
// /runCase?case=N&agent=AGENT with a client that echoes every message with its
// type until the server ends the connection, then /updateReports?agent=AGENT
// (only the cases numbered in the third argument, when given).
// The client is ws's default one (permessage-deflate offered) with a 64 MiB
// message limit. It prints one line per case that ended with an error on its
// side (informational: the server judges), and exits 0 once the run is over, 2
// on bad usage, 3 when ws is missing.
'use strict';

const { WebSocket } = require('./load_ws');

const MAX_PAYLOAD = 64 << 20;

function fetchText(url) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    let text = '';
    ws.on('message', (data) => {
      if (text === '') text = data.toString('utf8');
    });
    ws.on('error', () => {});
    ws.on('close', () => resolve(text));
  });
}

function runCase(url, n) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { maxPayload: MAX_PAYLOAD });
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('error', (err) => process.stdout.write(`case ${n}: ${err.message}\n`));
    ws.on('close', () => resolve());
  });
}

async function main() {
  const args = process.argv.slice(2);
  if (args.length !== 2 && args.length !== 3) {
    process.stderr.write('usage: node autobahn_client.js ws://HOST:PORT AGENT [N,N,...]\n');
    process.exit(2);
  }
  const [base, agent, only] = args;
  const a = encodeURIComponent(agent);
  const count = Number(await fetchText(`${base}/getCaseCount`));
  const cases = only ? only.split(',').map(Number) : Array.from({ length: count }, (_, i) => i + 1);
  for (const n of cases) {
    await runCase(`${base}/runCase?case=${n}&agent=${a}`, n);
  }
  await fetchText(`${base}/updateReports?agent=${a}`);
}

main();
