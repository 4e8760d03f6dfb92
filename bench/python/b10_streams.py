#!/usr/bin/env python3
"""TCP echo over loopback with asyncio streams (asyncio.start_server / open_connection):
the asyncio counterpart of loopbridge-bench's EchoBench (set "net"), doing the same work.

The echo server runs its own loop in a child interpreter, the clients one loop in this
one: two loops on two threads of execution, as EchoBench's server loop and client loop
(a server thread in this process would share the GIL with the clients). The server reads
up to 64 KiB, writes it back and drains, until the client closes.

    streams_echo_roundtrip_{1,100}conn (roundtrips/s)        EchoBench.roundTrip
        2,000 round trips per invocation, spread over the connections; each connection
        keeps one request in flight: write a 64-byte message, drain, readexactly(64),
        compare with what was sent. One op is one round trip.
    streams_echo_bulk_64KiB_{1,100}conn (chunks/s)           EchoBench.bulk
        200 chunks of 64 KiB per invocation, spread over the connections; per connection
        one task writes its chunks (write + drain each) while another reads the echo back
        until every byte has come. One op is one 64 KiB chunk sent and echoed back.

Connections are opened once per connection count and kept, as EchoBench's per-trial
setup. Every invocation checks that each connection got back exactly the bytes it sent.
A repeat is 10 invocations at scale 1 (at least 1); a figure is the median of 5 repeats.

    python3 b10_streams.py [scale]
"""
import asyncio
import subprocess
import sys

from benchlib import REPEATS, count, emit, fresh, now_ns, scale

HOST = "127.0.0.1"
MESSAGE = b"m" * 64
CHUNK = 64 * 1024
ROUND_TRIPS = 2_000        # per invocation, over all connections (EchoBench.ROUND_TRIPS)
BULK_CHUNKS = 200          # per invocation, over all connections (EchoBench.BULK_CHUNKS)
CONNECTIONS = (1, 100)
INVOCATIONS = 10           # per repeat, at scale 1
TIMEOUT_S = 60
SERVER = "--echo-server"


# --- the server, in a child interpreter ------------------------------------------------

async def echo(reader, writer):
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


class _UntilEof(asyncio.Protocol):
    """Watches the child's stdin: the parent closes it to stop the server."""

    def __init__(self, closed):
        self.closed = closed

    def connection_lost(self, exc):
        if not self.closed.done():
            self.closed.set_result(None)


async def serve():
    loop = asyncio.get_running_loop()
    server = await asyncio.start_server(echo, HOST, 0)
    stdin_closed = loop.create_future()
    await loop.connect_read_pipe(lambda: _UntilEof(stdin_closed), sys.stdin)
    print(server.sockets[0].getsockname()[1], flush=True)
    await stdin_closed
    server.close()


class EchoServer:
    """The child interpreter running serve(); its port is .port."""

    def __enter__(self):
        self.proc = subprocess.Popen([sys.executable, __file__, SERVER],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.strip().isdigit():
            self.proc.kill()
            raise SystemExit(f"b10: the echo server did not start (said {line!r})")
        self.port = int(line)
        return self

    def __exit__(self, *exc):
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --- the clients, in this interpreter --------------------------------------------------

def check(what, got, expected):
    if got != expected:
        raise SystemExit(f"b10: {what}: echoed {got} bytes, expected {expected}")


async def round_trips(conns, rounds):
    """Each connection does `rounds` round trips, one in flight; returns the bytes echoed."""
    async def one(reader, writer):
        for _ in range(rounds):
            writer.write(MESSAGE)
            await writer.drain()
            if await reader.readexactly(len(MESSAGE)) != MESSAGE:
                raise SystemExit("b10: the echo differs from the request")
        return rounds * len(MESSAGE)

    total = sum(await asyncio.gather(*(one(r, w) for r, w in conns)))
    check("round trips", total, rounds * len(MESSAGE) * len(conns))
    return total


async def bulk(conns, nbytes):
    """Each connection sends nbytes in 64 KiB chunks while reading the echo back."""
    chunk = memoryview(b"b" * CHUNK)

    async def send(writer):
        for sent in range(0, nbytes, CHUNK):
            writer.write(chunk[:min(CHUNK, nbytes - sent)])
            await writer.drain()
        return 0

    async def receive(reader):
        got = 0
        while got < nbytes:
            data = await reader.read(CHUNK)
            if not data:
                raise SystemExit("b10: the server closed mid-transfer")
            got += len(data)
        return got

    total = sum(await asyncio.gather(*(job for r, w in conns for job in (send(w), receive(r)))))
    check("bulk", total, nbytes * len(conns))
    return total


async def ops_per_second(work, conns, share, ops, invocations):
    """Runs work(conns, share) `invocations` times; returns ops * invocations / elapsed."""
    fresh()
    t0 = now_ns()
    for _ in range(invocations):
        async with asyncio.timeout(TIMEOUT_S):
            await work(conns, share)
    return ops * invocations / ((now_ns() - t0) / 1e9)


async def clients(port, invocations):
    for n in CONNECTIONS:
        if ROUND_TRIPS % n or BULK_CHUNKS % n:
            raise SystemExit(f"b10: {n} connections must divide {ROUND_TRIPS} and {BULK_CHUNKS}")
        conns = [await asyncio.open_connection(HOST, port) for _ in range(n)]
        try:
            for name, unit, work, share, ops in (
                    (f"streams_echo_roundtrip_{n}conn", "roundtrips/s", round_trips, ROUND_TRIPS // n, ROUND_TRIPS),
                    (f"streams_echo_bulk_64KiB_{n}conn", "chunks/s", bulk, BULK_CHUNKS // n * CHUNK, BULK_CHUNKS)):
                await ops_per_second(work, conns, share, ops, count(invocations, 0.2))
                rates = [await ops_per_second(work, conns, share, ops, invocations) for _ in range(REPEATS)]
                emit(name, rates, unit, digits=0)
        finally:
            for _, w in conns:
                w.close()
            for _, w in conns:
                try:
                    await w.wait_closed()
                except ConnectionError:
                    pass


def main():
    invocations = count(INVOCATIONS, scale())
    with EchoServer() as server:
        asyncio.run(clients(server.port, invocations))


if __name__ == "__main__":
    if sys.argv[1:2] == [SERVER]:
        asyncio.run(serve())
    else:
        main()
