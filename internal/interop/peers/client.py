"""WebSocket interop client for wsfsm's tests, built on Python `websockets`.

Run with Debian's interpreter (/usr/bin/python3) and its python3-websockets
package, like server.py. It connects to URL, sends the --send/--send-hex
messages in order, receives until --receive messages came or the server
ended the connection, closes with 1000 if the connection is still open, and
prints one JSON object on stdout:

  opened        whether the opening handshake completed
  subprotocol   the subprotocol the server selected, or null
  messages      [{"type": "text"|"binary", "size": N, "sha256": HEX,
                  "data": text, or base64 for binary; only up to 4096 bytes}]
  close         {"sent": CODE|null, "sent_reason": STR,
                 "received": CODE|null, "received_reason": STR}:
                the close frames this client sent and received (null: none)
  error         why the connection failed or was failed, or null
  http_status   the status of a refused upgrade, and retry_after its header

It exits 0 whenever it printed the report, 2 on bad usage and 3 when the
websockets package is missing.
"""

import argparse
import asyncio
import base64
import hashlib
import json
import ssl
import sys

EXIT_MISSING_LIBRARY = 3
INLINE_LIMIT = 4096

try:
    from websockets.exceptions import ConnectionClosed, InvalidStatusCode
    from websockets.legacy.client import connect
except ImportError as exc:
    print(
        f"MISSING python3-websockets: {exc} (install: apt-get install -y python3-websockets)",
        file=sys.stderr,
        flush=True,
    )
    sys.exit(EXIT_MISSING_LIBRARY)


def parse_args():
    p = argparse.ArgumentParser(description="wsfsm interop client (Python websockets)")
    p.add_argument("url")
    p.add_argument("--subprotocol", action="append", default=[], help="offer this subprotocol (repeatable)")
    p.add_argument("--cafile", help="trust this PEM certificate for wss://")
    p.add_argument("--send", dest="sends", action="append", default=[],
                   help="send a text message (repeatable, in order with --send-hex)")
    p.add_argument("--send-hex", dest="sends", action="append", type=bytes.fromhex,
                   help="send a binary message given in hex")
    p.add_argument("--receive", type=int, help="close after this many messages (default: wait for the server)")
    p.add_argument("--close-timeout", type=float, default=2.0, help="seconds to wait for the close answer")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds the whole run may take")
    return p.parse_args()


def record(msg):
    data = msg.encode("utf-8") if isinstance(msg, str) else msg
    m = {
        "type": "text" if isinstance(msg, str) else "binary",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    if len(data) <= INLINE_LIMIT:
        m["data"] = msg if isinstance(msg, str) else base64.b64encode(msg).decode("ascii")
    return m


def close_info(ws):
    sent, rcvd = ws.close_sent, ws.close_rcvd
    return {
        "sent": sent.code if sent else None,
        "sent_reason": sent.reason if sent else "",
        "received": rcvd.code if rcvd else None,
        "received_reason": rcvd.reason if rcvd else "",
    }


async def session(args, report):
    ctx = None
    if args.url.startswith("wss://"):
        ctx = ssl.create_default_context(cafile=args.cafile)
    try:
        ws = await connect(
            args.url,
            subprotocols=args.subprotocol or None,
            ssl=ctx,
            open_timeout=args.timeout,
            ping_interval=None,  # passive: the server decides about pings
            close_timeout=args.close_timeout,
            max_size=None,
            compression=None,
        )
    except InvalidStatusCode as exc:
        report["error"] = str(exc)
        report["http_status"] = exc.status_code
        report["retry_after"] = exc.headers.get("Retry-After")
        return
    report["opened"] = True
    report["subprotocol"] = ws.subprotocol
    try:
        try:
            for data in args.sends:
                await ws.send(data)
            while args.receive is None or len(report["messages"]) < args.receive:
                report["messages"].append(record(await ws.recv()))
            await ws.close(1000, "client done")
        except ConnectionClosed as exc:
            if exc.rcvd is None or exc.sent is None or exc.sent.code not in (1000, 1001):
                report["error"] = str(exc)
        await ws.wait_closed()
    finally:
        report["close"] = close_info(ws)
        ws.transport.abort()


async def main():
    args = parse_args()
    report = {"opened": False, "subprotocol": None, "messages": [], "close": None, "error": None}
    try:
        await asyncio.wait_for(session(args, report), args.timeout)
    except asyncio.TimeoutError:
        report["error"] = report["error"] or f"timeout: the run took more than {args.timeout}s"
    except Exception as exc:  # reported, not raised: the report is the result
        report["error"] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
