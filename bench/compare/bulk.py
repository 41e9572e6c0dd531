#!/usr/bin/env python3
"""Bulk transfer for bench/compare.sh --growth.

  bulk.py sink PORT BYTES
      Listens on 127.0.0.1:PORT. Each connection: read exactly BYTES bytes, answer
      "OK <bytes>\\n", close. Runs until killed.
  bulk.py send PORT BYTES [PROXY_PORT AUTH]
      Sends BYTES bytes to the sink on 127.0.0.1:PORT, directly or through a CONNECT
      tunnel of the proxy on 127.0.0.1:PROXY_PORT (AUTH: "Basic ..." value), and waits
      for the sink's answer. Prints "BULK bytes=N seconds=S mbps=M" (MB = 10^6 bytes);
      the clock starts after the tunnel is established.
"""
import socket
import sys
import time

CHUNK = 1 << 20


def sink(port, total):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    while True:
        conn, _ = srv.accept()
        with conn:
            got = 0
            while got < total:
                n = conn.recv_into(view, min(CHUNK, total - got))
                if n == 0:
                    break
                got += n
            try:
                conn.sendall(f"OK {got}\n".encode())
            except OSError:
                pass


def send(port, total, proxy_port=None, auth=None):
    if proxy_port:
        s = socket.create_connection(("127.0.0.1", proxy_port))
        s.sendall((f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                   f"Proxy-Authorization: {auth}\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = s.recv(4096)
            if not chunk:
                sys.exit(f"proxy closed during CONNECT: {head!r}")
            head += chunk
        status = head.split(b"\r\n", 1)[0]
        if b" 200" not in status:
            sys.exit(f"CONNECT refused: {status!r}")
    else:
        s = socket.create_connection(("127.0.0.1", port))
    data = memoryview(b"\x5a" * CHUNK)
    start = time.monotonic()
    left = total
    while left > 0:
        n = min(CHUNK, left)
        s.sendall(data[:n])
        left -= n
    answer = b""
    while not answer.endswith(b"\n"):
        chunk = s.recv(64)
        if not chunk:
            break
        answer += chunk
    secs = time.monotonic() - start
    s.close()
    if answer.strip() != f"OK {total}".encode():
        sys.exit(f"sink answered {answer!r}, expected OK {total}")
    print(f"BULK bytes={total} seconds={secs:.3f} mbps={total / secs / 1e6:.0f}")


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "sink":
        sink(int(sys.argv[2]), int(sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "send":
        send(int(sys.argv[2]), int(sys.argv[3]))
    elif len(sys.argv) == 6 and sys.argv[1] == "send":
        send(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
