// The npm package `ws` for the peers (server.js, client.js and
// autobahn_client.js), or, when it cannot be loaded, a line on stderr saying
// how to install it and exit status 3, which the Go launchers read as a
// missing peer.
'use strict';

const EXIT_MISSING_LIBRARY = 3;

try {
  module.exports = require('ws');
} catch (err) {
  process.stderr.write(
    `MISSING npm ws: ${err.message.split('\n')[0]} ` +
      `(install: npm ci --prefix internal/interop/peers)\n`
  );
  process.exit(EXIT_MISSING_LIBRARY);
}
