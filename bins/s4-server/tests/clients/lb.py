"""A round-robin TCP load balancer for the scale-out client run: each new connection goes to
the next backend in turn; bytes are relayed both ways untouched (the Host header, and so the
SigV4 signature, pass through as sent).

Usage: lb.py LISTEN_HOST:PORT BACKEND_HOST:PORT...  (port 0 picks a free port). Prints
'lb listening on HOST:PORT' once it accepts; on SIGTERM/SIGINT prints how many connections
each backend got, and exits.
"""

import asyncio
import signal
import sys


def address(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


async def relay(reader, writer):
    """Copies until EOF, then half-closes the other side (so a request body's end and a
    response's end both get through)."""
    try:
        while data := await reader.read(256 * 1024):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        pass


async def main():
    listen, backends = address(sys.argv[1]), [address(a) for a in sys.argv[2:]]
    if not backends:
        sys.exit("usage: lb.py LISTEN_HOST:PORT BACKEND_HOST:PORT...")
    counts = [0] * len(backends)
    turn = 0

    async def serve(client_reader, client_writer):
        nonlocal turn
        i, turn = turn, (turn + 1) % len(backends)
        counts[i] += 1
        try:
            backend_reader, backend_writer = await asyncio.open_connection(*backends[i])
        except OSError as e:
            print(f"lb: backend {backends[i]} refused a connection: {e}", file=sys.stderr, flush=True)
            client_writer.close()
            return
        await asyncio.gather(relay(client_reader, backend_writer), relay(backend_reader, client_writer))
        for w in (backend_writer, client_writer):
            w.close()

    server = await asyncio.start_server(serve, *listen, backlog=1024)
    host, port = server.sockets[0].getsockname()[:2]
    print(f"lb listening on {host}:{port}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
    summary = ", ".join(f"{h}:{p} {n}" for (h, p), n in zip(backends, counts))
    print(f"lb: connections per backend: {summary}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
