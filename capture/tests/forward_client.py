"""A real Fluent Forward client for the capture tests, on two independent implementations:
fluent-logger (Message mode, as many loggers send) and msgpack-python (the other modes, and Message
mode asking for acks as Tracker's Go client does).

    forward_client.py PORT MODE LINES_FILE [DELAY]

MODE: logger | message-ack | forward | packed | gzip. Each line of LINES_FILE is sent as one record
{"event": line}. Exits non-zero if a send fails or an ack is missing or wrong."""
import gzip
import socket
import sys
import time
import uuid

import msgpack
from fluent import sender

port, mode, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
delay = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
lines = [l.rstrip("\n") for l in open(path, encoding="utf-8")]
TAG = "tracker"

if mode == "logger":
    s = sender.FluentSender(TAG, host="127.0.0.1", port=port, nanosecond_precision=True, timeout=10)
    for line in lines:
        if not s.emit_with_time(None, time.time(), {"event": line}):
            sys.exit(f"emit failed: {s.last_error}")
        time.sleep(delay)
    s.close()
    print(f"sent {len(lines)}")
    sys.exit(0)

sock = socket.create_connection(("127.0.0.1", port), timeout=10)
unpacker = msgpack.Unpacker(raw=False)


def wait_ack(chunk):
    while True:
        for reply in unpacker:
            if reply != {"ack": chunk}:
                sys.exit(f"wrong ack {reply!r} for {chunk!r}")
            return
        data = sock.recv(4096)
        if not data:
            sys.exit("connection closed before the ack")
        unpacker.feed(data)


def send(frame_parts):
    chunk = uuid.uuid4().hex
    sock.sendall(msgpack.packb(frame_parts + [{"chunk": chunk}] if mode != "gzip" else frame_parts))
    if mode != "gzip":
        wait_ack(chunk)


now = int(time.time())
if mode == "message-ack":
    for line in lines:
        t = msgpack.ExtType(0, now.to_bytes(4, "big") + (123456789).to_bytes(4, "big"))
        send([TAG, t, {"event": line}])
        time.sleep(delay)
elif mode == "forward":
    send([TAG, [[now, {"event": line}] for line in lines]])
elif mode == "packed":
    stream = b"".join(msgpack.packb([now, {"event": line}]) for line in lines)
    send([TAG, stream])
elif mode == "gzip":
    stream = b"".join(msgpack.packb([now, {"event": line}]) for line in lines)
    chunk = uuid.uuid4().hex
    sock.sendall(msgpack.packb([TAG, gzip.compress(stream), {"compressed": "gzip", "size": len(lines), "chunk": chunk}]))
    wait_ack(chunk)
else:
    sys.exit(f"unknown mode {mode}")
sock.close()
print(f"sent {len(lines)}")
