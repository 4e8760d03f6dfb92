#!/usr/bin/env python3
"""Bad HTTP clients for bench/soak.sh: four kinds hammer a server at once for a given time,
then one line per kind says what the server answered. Python 3.8+ standard library only.

    python3 bench/bad_clients.py --port 18080 --seconds 60 [--rate 100] [--slowloris 200]

  random     connects, sends random bytes (1 B to 20 KB, so some exceed a 16 KiB head limit;
             half of them end with CRLFCRLF so the server parses them), half-closes, reads
             the answer to EOF. Expected: 400 or 431, or a plain close.
  truncated  connects, sends a valid request (a GET, or a POST with a body) cut at a random
             byte, then either closes at once or half-closes and reads the answer. The cut
             is always short of the end, so no request is ever completed (no POST lands).
             Expected: 400, or a plain close.
  slowloris  keeps --slowloris connections open; each sends a request line and one header,
             then one more header byte every second, never finishing the head. Expected: the
             server's 408 when its header timeout runs out; the slot then reconnects.
  reset      connects, then resets the connection (SO_LINGER 0, so close() sends an RST) at
             a random moment: before sending, in the middle of the request, while the
             handler runs (/sync, /async, /db, /sync-with-async in flight) or in the middle
             of the answer.

random, truncated and reset each start --rate connections per second (at most --max-open
open at once per kind; beyond that a start is skipped and counted). "hung" counts
connections the server neither answered nor closed within --hang-seconds: a server defect.
"error" counts exceptions this program did not expect (the first of each type is printed).
The last line is machine-readable: total=N hung=N errors=N connect_failed=N skipped=N cpu_seconds=F.
"""
import argparse
import asyncio
import collections
import os
import random
import socket
import struct
import sys
import time

READ_LIMIT = 1 << 20


class Tally:
    """Outcomes per kind: Counter of outcome name -> connections."""

    def __init__(self):
        self.kinds = collections.OrderedDict((k, collections.Counter()) for k in
                                             ("random", "truncated", "slowloris", "reset"))

    def add(self, kind, outcome):
        self.kinds[kind][outcome] += 1

    def total(self, outcome=None):
        return sum(sum(c.values()) if outcome is None else c[outcome] for c in self.kinds.values())


def status_of(data):
    """'400' from b'HTTP/1.1 400 ...', 'closed' for no bytes, 'garbage' otherwise."""
    if not data:
        return "closed"
    if data.startswith(b"HTTP/1.") and len(data) >= 12:
        return data[9:12].decode("ascii", "replace")
    return "garbage"


def reset_now(writer):
    """Abort with an RST: SO_LINGER on with a zero timeout makes close() discard and reset."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()


async def read_to_eof(reader, timeout):
    """Everything until the server closes; raises asyncio.TimeoutError if it never does."""
    async def drain():
        chunks = []
        while True:
            b = await reader.read(65536)
            if not b:
                return b"".join(chunks)
            chunks.append(b)
    return await asyncio.wait_for(drain(), timeout)


class BadClients:
    def __init__(self, args):
        self.host, self.port = args.host, args.port
        self.hang = args.hang_seconds
        self.rnd = random.Random(args.seed)
        self.tally = Tally()
        self.deadline = 0.0

    async def connect(self, kind):
        try:
            return await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port, limit=READ_LIMIT), self.hang)
        except (OSError, asyncio.TimeoutError) as e:
            self.tally.add(kind, "connect-failed:" + type(e).__name__)
            return None

    async def finish(self, kind, reader, writer, half_close=True):
        """Half-closes (optionally), reads the answer and records it."""
        try:
            if half_close and writer.can_write_eof():
                writer.write_eof()
            self.tally.add(kind, status_of(await read_to_eof(reader, self.hang)))
        except asyncio.TimeoutError:
            self.tally.add(kind, "hung")
        except (ConnectionResetError, BrokenPipeError):
            self.tally.add(kind, "reset-by-server")

    # ------------------------------------------------------------------ the four kinds

    async def random_bytes(self):
        conn = await self.connect("random")
        if conn is None:
            return
        reader, writer = conn
        try:
            n = self.rnd.choice((self.rnd.randint(1, 64), self.rnd.randint(1, 4096),
                                 self.rnd.randint(16 * 1024 + 1, 20000)))
            payload = os.urandom(n) + (b"\r\n\r\n" if self.rnd.random() < 0.5 else b"")
            writer.write(payload)
            await writer.drain()
            await self.finish("random", reader, writer)
        except (ConnectionResetError, BrokenPipeError):
            self.tally.add("random", "reset-by-server")
        finally:
            writer.transport.abort()

    def valid_request(self):
        if self.rnd.random() < 0.5:
            return (b"GET /async?seconds=0 HTTP/1.1\r\nHost: soak\r\nUser-Agent: bad-clients\r\n"
                    b"Accept: */*\r\n\r\n")
        body = b"this note must never be stored" * 3
        return (b"POST /db HTTP/1.1\r\nHost: soak\r\nContent-Type: text/plain\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)

    async def truncated(self):
        conn = await self.connect("truncated")
        if conn is None:
            return
        reader, writer = conn
        try:
            req = self.valid_request()
            writer.write(req[:self.rnd.randint(1, len(req) - 1)])
            await writer.drain()
            if self.rnd.random() < 0.5:
                writer.close()                    # FIN at once, without reading
                self.tally.add("truncated", "closed-by-client")
            else:
                await self.finish("truncated", reader, writer)
        except (ConnectionResetError, BrokenPipeError):
            self.tally.add("truncated", "reset-by-server")
        finally:
            writer.transport.abort()

    async def slowloris_slot(self, slot):
        await asyncio.sleep(self.rnd.uniform(0, 2))      # spread the slots' 408s over time
        while time.monotonic() < self.deadline:
            conn = await self.connect("slowloris")
            if conn is None:
                await asyncio.sleep(1)
                continue
            reader, writer = conn
            outcome = None
            try:
                writer.write(b"GET /stats HTTP/1.1\r\nHost: soak\r\nX-Slow-" + str(slot).encode() + b": ")
                await writer.drain()
                data = b""
                opened = time.monotonic()
                while outcome is None:
                    if time.monotonic() >= self.deadline:
                        outcome = "cut-at-end"
                        break
                    if time.monotonic() - opened > self.hang:
                        outcome = "hung"
                        break
                    try:
                        b = await asyncio.wait_for(reader.read(65536), 1.0)
                    except asyncio.TimeoutError:
                        writer.write(b"a")                 # one more byte, the head never ends
                        await writer.drain()
                        continue
                    if not b:
                        outcome = status_of(data)
                    data += b
            except (ConnectionResetError, BrokenPipeError):
                outcome = "reset-by-server"
            finally:
                writer.transport.abort()
            self.tally.add("slowloris", outcome)

    async def reset(self):
        conn = await self.connect("reset")
        if conn is None:
            return
        reader, writer = conn
        target = self.rnd.choice(("/async?seconds=0.05", "/sync?seconds=0.05", "/db?id=1",
                                  "/sync-with-async?seconds=0.05", "/async?seconds=0"))
        req = ("GET %s HTTP/1.1\r\nHost: soak\r\n\r\n" % target).encode()
        moment = self.rnd.choice(("before-request", "mid-request", "in-flight", "mid-answer"))
        try:
            if moment == "mid-request":
                writer.write(req[:self.rnd.randint(1, len(req) - 1)])
                await writer.drain()
            elif moment == "in-flight":
                writer.write(req)
                await writer.drain()
                await asyncio.sleep(self.rnd.uniform(0, 0.05))
            elif moment == "mid-answer":
                writer.write(req)
                await writer.drain()
                await asyncio.wait_for(reader.read(1), self.hang)   # the first byte of the answer
        except asyncio.TimeoutError:
            moment = "hung"
        except (ConnectionResetError, BrokenPipeError):
            moment = "reset-by-server"
        finally:
            reset_now(writer)
        self.tally.add("reset", moment if moment in ("hung", "reset-by-server") else "rst-" + moment)

    # ------------------------------------------------------------------ driving

    async def guarded(self, kind, make):
        """Runs one connection; an exception nobody expected is counted and shown, never lost."""
        try:
            await make()
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self.tally.add(kind, "error:" + type(e).__name__)
            if self.tally.total("error:" + type(e).__name__) == 1:
                sys.stderr.write("bad_clients.py: unexpected %r in a %s connection\n" % (e, kind))

    async def spawn_at_rate(self, kind, make, rate, max_open):
        open_tasks = set()
        interval = 1.0 / rate
        next_at = time.monotonic()
        while True:
            now = time.monotonic()
            if now >= self.deadline:
                break
            if len(open_tasks) >= max_open:
                self.tally.add(kind, "skipped:max-open")
            else:
                t = asyncio.ensure_future(self.guarded(kind, make))
                open_tasks.add(t)
                t.add_done_callback(open_tasks.discard)
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        return open_tasks

    async def run(self, seconds, rate, slowloris, max_open):
        self.deadline = time.monotonic() + seconds
        spawners = []
        if rate > 0:
            spawners = [asyncio.ensure_future(self.spawn_at_rate(k, m, rate, max_open))
                        for k, m in (("random", self.random_bytes), ("truncated", self.truncated),
                                     ("reset", self.reset))]
        slots = [asyncio.ensure_future(self.guarded("slowloris", lambda i=i: self.slowloris_slot(i)))
                 for i in range(slowloris)]
        leftovers = set()
        for s in spawners:
            leftovers |= await s
        await asyncio.gather(*slots)
        # Connections still open at the deadline get a moment to finish, then are dropped.
        if leftovers:
            done, pending = await asyncio.wait(leftovers, timeout=2.0)
            for t in pending:
                t.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def report(self, out):
        out.write("%-10s %9s  %s\n" % ("kind", "conns", "outcomes"))
        for kind, c in self.tally.kinds.items():
            started = sum(v for k, v in c.items() if not k.startswith("skipped"))
            outcomes = ", ".join("%s %d" % kv for kv in sorted(c.items(), key=lambda kv: -kv[1]))
            out.write("%-10s %9d  %s\n" % (kind, started, outcomes or "-"))
        connect_failed = sum(v for c in self.tally.kinds.values() for k, v in c.items()
                             if k.startswith("connect-failed"))
        skipped = sum(v for c in self.tally.kinds.values() for k, v in c.items() if k.startswith("skipped"))
        total = self.tally.total() - skipped
        errors = sum(v for c in self.tally.kinds.values() for k, v in c.items() if k.startswith("error"))
        out.write("total=%d hung=%d errors=%d connect_failed=%d skipped=%d cpu_seconds=%.1f\n"
                  % (total, self.tally.total("hung"), errors, connect_failed, skipped, time.process_time()))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--seconds", type=float, required=True, help="how long to attack")
    p.add_argument("--rate", type=float, default=100.0,
                   help="new connections per second for each of random, truncated and reset")
    p.add_argument("--slowloris", type=int, default=200, help="slowloris connections kept open")
    p.add_argument("--max-open", type=int, default=500, help="open connections per kind at most")
    p.add_argument("--hang-seconds", type=float, default=30.0,
                   help="a connection the server neither answers nor closes within this is 'hung'")
    p.add_argument("--seed", type=int, default=None)
    args = p.parse_args()
    clients = BadClients(args)
    asyncio.run(clients.run(args.seconds, args.rate, args.slowloris, args.max_open))
    clients.report(sys.stdout)


if __name__ == "__main__":
    main()
