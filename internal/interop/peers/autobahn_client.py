"""Autobahn|Testsuite client harness on Python websockets, for wsfsm's
conformance table.

Run with Debian's interpreter (/usr/bin/python3) and its python3-websockets
package, like client.py:

  /usr/bin/python3 autobahn_client.py ws://HOST:PORT AGENT [N,N,...]

It speaks the fuzzing server's protocol as Autobahn's own harnesses do (and as
websockets' compliance/test_client.py does): /getCaseCount, then for every case
/runCase?case=N&agent=AGENT with a client that echoes every message with its
type until the server ends the connection, then /updateReports?agent=AGENT (only
the cases numbered in the third argument, when given). The client is websockets' default one (permessage-deflate offered), with no
keepalive pings and a 64 MiB message limit. It prints one line per case that
ended with an error on its side (informational: the server judges), and exits 0
once the run is over, 2 on bad usage, 3 when websockets is missing.
"""

import asyncio
import json
import sys
import urllib.parse

try:
    from websockets.exceptions import ConnectionClosed, WebSocketException
    from websockets.legacy.client import connect
except ImportError as exc:
    print(f"MISSING python3-websockets: {exc}", file=sys.stderr, flush=True)
    sys.exit(3)

MAX_SIZE = 64 << 20


async def fetch(uri):
    text = ""
    async with connect(uri, ping_interval=None) as ws:
        try:
            async for msg in ws:
                text = text or msg
        except ConnectionClosed:
            pass
    return text


async def run_case(uri):
    try:
        async with connect(uri, max_size=MAX_SIZE, ping_interval=None, close_timeout=2) as ws:
            async for msg in ws:
                await ws.send(msg)
    except (ConnectionClosed, WebSocketException, OSError, asyncio.TimeoutError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


async def main(base, agent, only):
    count = json.loads(await fetch(f"{base}/getCaseCount"))
    a = urllib.parse.quote(agent)
    for case in only or range(1, count + 1):
        err = await run_case(f"{base}/runCase?case={case}&agent={a}")
        if err is not None:
            print(f"case {case}: {err}", flush=True)
    await fetch(f"{base}/updateReports?agent={a}")


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        print("usage: autobahn_client.py ws://HOST:PORT AGENT [N,N,...]", file=sys.stderr)
        sys.exit(2)
    only = [int(n) for n in sys.argv[3].split(",")] if len(sys.argv) == 4 else None
    asyncio.run(main(sys.argv[1], sys.argv[2], only))
