"""WebSocket interop peer for wsfsm's tests, built on Python `websockets`.

Run with Debian's interpreter (/usr/bin/python3) and its python3-websockets
package (bookworm ships 10.4). The server uses the library's asyncio
implementation in `websockets.legacy.server`, which exists from 10.x through
the releases that replaced it, so the same code runs on newer versions too.

It listens on 127.0.0.1, port 0, prints exactly one line `LISTENING <port>` on
stdout once ready, and serves by path:

  /echo           echo every message with its type (text or binary)
  /close/CODE     send a close frame with CODE and the reason
                  "wsfsm interop: close CODE", then finish the handshake
  /drop-after/N   echo N messages, then drop TCP without a close frame
  /ignore-close   echo data, never answer a close frame, never close TCP
  /extensions     send one text message "extensions: VALUE", VALUE being the
                  Sec-WebSocket-Extensions the server answered with ("" for
                  none), then echo
  /deflate/PATH   PATH (any of the above) with permessage-deflate accepted
                  when the client offers it; without the prefix it never is

Any other path is refused with HTTP 404; a CODE the library cannot send is
refused with HTTP 400. The process exits when stdin reaches end of file or on
SIGTERM. It exits with status 3 when the websockets package is missing.
"""

import asyncio
import http
import logging
import os
import signal
import sys
import threading

EXIT_MISSING_LIBRARY = 3

try:
    import websockets
    from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
    from websockets.frames import OP_CLOSE, Close
    from websockets.legacy.server import WebSocketServerProtocol, serve
except ImportError as exc:  # reported to the Go helper, which skips or fails
    print(
        f"MISSING python3-websockets: {exc} (install: apt-get install -y python3-websockets)",
        file=sys.stderr,
        flush=True,
    )
    sys.exit(EXIT_MISSING_LIBRARY)

# Generous enough for the close handshake on loopback, small enough that
# shutting down never hangs on a client that stopped answering.
CLOSE_TIMEOUT = 2.0


def close_reason(code):
    """The reason sent with a server-initiated close; the tests assert it."""
    return f"wsfsm interop: close {code}"


def parse_route(path):
    """Map a request path to (route, argument, deflate) or None when unknown."""
    path = path.split("?", 1)[0]
    deflate = path.startswith("/deflate/")
    if deflate:
        path = path[len("/deflate"):]
    if path in ("/echo", "/ignore-close", "/extensions"):
        return (path[1:], None, deflate)
    for prefix, route in (("/close/", "close"), ("/drop-after/", "drop-after")):
        if path.startswith(prefix):
            arg = path[len(prefix):]
            if arg.isdigit():
                return (route, int(arg), deflate)
    return None


class PeerProtocol(WebSocketServerProtocol):
    """Routes by path and, on /ignore-close, swallows the peer's close frame.

    websockets answers a close frame inside its frame reader and then closes
    TCP; no public option turns that off. Skipping close frames in read_frame
    (documented as overridable in subclasses of the legacy protocol) keeps the
    connection open and the close unanswered until the client drops TCP.
    """

    route = None
    ignore_close = False
    deflate = False

    async def process_request(self, path, request_headers):
        route = parse_route(path)
        if route is None:
            return (http.HTTPStatus.NOT_FOUND, [], b"unknown path\n")
        kind, arg, self.deflate = route
        if kind == "close":
            try:
                Close(arg, close_reason(arg)).check()
            except Exception:
                return (http.HTTPStatus.BAD_REQUEST, [], b"close code not sendable\n")
        self.route = route
        self.ignore_close = kind == "ignore-close"
        return None

    def process_extensions(self, headers, available_extensions):
        # The server is started with no extension; /deflate/ paths offer
        # permessage-deflate with the library's defaults, which accept the
        # client's offer as made (gorilla's no_context_takeover both ways).
        if self.deflate:
            available_extensions = [ServerPerMessageDeflateFactory()]
        return super().process_extensions(headers, available_extensions)

    async def read_frame(self, max_size):
        while True:
            frame = await super().read_frame(max_size)
            if self.ignore_close and frame.opcode == OP_CLOSE:
                logging.info("ignore-close: dropped a close frame")
                continue
            return frame


async def echo(ws, limit=None):
    """Echo messages with their type; stop after limit messages if given."""
    count = 0
    while limit is None or count < limit:
        message = await ws.recv()
        await ws.send(message)
        count += 1


async def handle(ws, path=None):
    # `path` is passed by websockets < 10.1 only; the route was parsed
    # from the request line in process_request either way.
    kind, arg, _ = ws.route
    try:
        if kind in ("echo", "ignore-close"):
            await echo(ws)
        elif kind == "extensions":
            answered = ws.response_headers.get("Sec-WebSocket-Extensions", "")
            await ws.send(f"extensions: {answered}")
            await echo(ws)
        elif kind == "close":
            await ws.close(arg, close_reason(arg))
        elif kind == "drop-after":
            await echo(ws, arg)
            ws.transport.abort()
            await ws.wait_closed()
    except websockets.ConnectionClosed:
        pass


def watch_stdin(loop, stop):
    """Block on stdin in a daemon thread; wake the loop at end of file."""
    # os.read on the raw descriptor, not sys.stdin: a daemon thread blocked
    # inside a buffered reader aborts the interpreter at shutdown.
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    loop.call_soon_threadsafe(lambda: stop.done() or stop.set_result(None))


async def main():
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, lambda: stop.done() or stop.set_result(None))
    threading.Thread(target=watch_stdin, args=(loop, stop), daemon=True).start()

    server = await serve(
        handle,
        "127.0.0.1",
        0,
        create_protocol=PeerProtocol,
        ping_interval=None,  # stay passive: the tests decide when to ping
        close_timeout=CLOSE_TIMEOUT,
        max_size=16 * 1024 * 1024,
        compression=None,
    )
    port = server.sockets[0].getsockname()[1]
    print(f"LISTENING {port}", flush=True)

    await stop
    server.close()
    try:
        await asyncio.wait_for(server.wait_closed(), CLOSE_TIMEOUT + 1)
    except asyncio.TimeoutError:
        logging.warning("shutdown: connections still open, exiting anyway")


if __name__ == "__main__":
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.WARNING,
        format="python-peer %(levelname)s %(message)s",
    )
    asyncio.run(main())
