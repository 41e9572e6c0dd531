#!/usr/bin/env python3
"""CONNECT-tunnel load for bench/soak.sh (asyncio, one process, many sockets).

  tunnels.py sink PORT
      Echo server on 127.0.0.1:PORT: every byte that arrives goes back. Runs until
      killed.
  tunnels.py churn PROXY_PORT SINK_PORT AUTH SECONDS CONCURRENCY BYTES
      CONCURRENCY workers, each in a loop for SECONDS: open a tunnel through the
      proxy (CONNECT 127.0.0.1:SINK_PORT with Proxy-Authorization AUTH), send BYTES
      and read them back, close. Prints
      "CHURN tunnels=N failed=F refused=R bytes=B" (refused: the proxy's answer was
      not 200; failed: the tunnel broke or the echo differed).
  tunnels.py idle PROXY_PORT SINK_PORT AUTH COUNT
      Opens COUNT tunnels (200 at a time) and proves each with a 4-byte echo, prints
      "IDLE open=N failed=F" and holds them, idle, until SIGTERM or SIGINT (or a
      line on stdin). Then checks that every tunnel still echoes, prints
      "ALIVE ok=N of M", and closes them all.
"""
import asyncio
import os
import random
import resource
import signal
import sys
import time


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def echo(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def sink(port):
    server = await asyncio.start_server(echo, "127.0.0.1", port, backlog=4096, limit=65536)
    async with server:
        await server.serve_forever()


class Refused(Exception):
    pass


async def open_tunnel(proxy_port, sink_port, auth):
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy_port, limit=65536)
    writer.write((f"CONNECT 127.0.0.1:{sink_port} HTTP/1.1\r\nHost: 127.0.0.1:{sink_port}\r\n"
                  f"Proxy-Authorization: {auth}\r\n\r\n").encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if b" 200 " not in head.split(b"\r\n", 1)[0] + b" ":
        writer.close()
        raise Refused(head.split(b"\r\n", 1)[0].decode(errors="replace"))
    return reader, writer


async def round_trip(reader, writer, payload):
    writer.write(payload)
    await writer.drain()
    got = await reader.readexactly(len(payload))
    return got == payload


async def churn(proxy_port, sink_port, auth, seconds, concurrency, nbytes):
    stats = {"tunnels": 0, "failed": 0, "refused": 0, "bytes": 0}
    payload = os.urandom(nbytes)
    deadline = time.monotonic() + seconds

    async def worker():
        while time.monotonic() < deadline:
            try:
                reader, writer = await asyncio.wait_for(open_tunnel(proxy_port, sink_port, auth), 10)
            except Refused:
                stats["refused"] += 1
                await asyncio.sleep(0.1)
                continue
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
                stats["failed"] += 1
                await asyncio.sleep(0.1)
                continue
            try:
                ok = await asyncio.wait_for(round_trip(reader, writer, payload), 30)
                stats["tunnels" if ok else "failed"] += 1
                if ok:
                    stats["bytes"] += 2 * nbytes
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
                stats["failed"] += 1
            finally:
                writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    print("CHURN tunnels={tunnels} failed={failed} refused={refused} bytes={bytes}".format(**stats), flush=True)


async def idle(proxy_port, sink_port, auth, count):
    tunnels = []
    failed = 0
    gate = asyncio.Semaphore(200)

    async def one():
        nonlocal failed
        async with gate:
            try:
                reader, writer = await asyncio.wait_for(open_tunnel(proxy_port, sink_port, auth), 30)
                if await asyncio.wait_for(round_trip(reader, writer, b"ping"), 30):
                    tunnels.append((reader, writer))
                    return
                writer.close()
            except (OSError, Refused, asyncio.TimeoutError, asyncio.IncompleteReadError):
                pass
            failed += 1

    await asyncio.gather(*(one() for _ in range(count)))
    print(f"IDLE open={len(tunnels)} failed={failed}", flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_reader(sys.stdin.fileno(), stop.set)
    await stop.wait()

    async def alive(reader, writer):
        try:
            return await asyncio.wait_for(round_trip(reader, writer, b"pong"), 30)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            return False

    random.shuffle(tunnels)
    results = []
    for i in range(0, len(tunnels), 500):
        results += await asyncio.gather(*(alive(r, w) for r, w in tunnels[i:i + 500]))
    print(f"ALIVE ok={sum(results)} of {len(tunnels)}", flush=True)
    for _, writer in tunnels:
        writer.close()


def main():
    raise_nofile()
    a = sys.argv
    if len(a) == 3 and a[1] == "sink":
        asyncio.run(sink(int(a[2])))
    elif len(a) == 8 and a[1] == "churn":
        asyncio.run(churn(int(a[2]), int(a[3]), a[4], float(a[5]), int(a[6]), int(a[7])))
    elif len(a) == 6 and a[1] == "idle":
        asyncio.run(idle(int(a[2]), int(a[3]), a[4], int(a[5])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
