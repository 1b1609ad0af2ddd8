#!/usr/bin/env python3
"""A small Herald client in Python, written from PROTOCOL.md alone, standard library only.

It speaks `herald.v1.json` over a WebSocket client of its own (RFC 6455 client framing on asyncio
streams): handshake (hello/welcome), subscribe, publish with ack, presence (watch, join, leave),
requests both ways (it calls a method and serves one). `python-client.int.test.ts` runs it against a
real router with JavaScript clients on the other side and checks the report it prints.

Usage: herald_client.py ws://127.0.0.1:PORT/   (prints one JSON report line on stdout)
"""

import asyncio
import base64
import hashlib
import json
import os
import struct
import sys
from urllib.parse import urlsplit

SUBPROTOCOL = "herald.v1.json"
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class HeraldError(Exception):
    """A coded refusal: an `error` or `response_error` frame, or a close reason `CODE: ...`."""

    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code


# ---- WebSocket client framing (RFC 6455), just what Herald needs: text frames, ping, close ----


class WebSocket:
    def __init__(self, reader, writer, protocol):
        self.reader = reader
        self.writer = writer
        self.protocol = protocol
        self.close_code = None
        self.close_reason = ""
        self._close_sent = False

    @classmethod
    async def connect(cls, url, protocols):
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or 80
        reader, writer = await asyncio.open_connection(host, port)
        key = base64.b64encode(os.urandom(16)).decode()
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        writer.write(
            (
                f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Sec-WebSocket-Protocol: {', '.join(protocols)}\r\n\r\n"
            ).encode()
        )
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        status, *lines = head.split("\r\n")
        headers = {}
        for line in lines:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if not status.startswith("HTTP/1.1 101"):
            # A refusal at the HTTP level names its code in a header (PROTOCOL.md §2).
            raise HeraldError(headers.get("x-herald-error", "CONNECTION_FAILED"), status)
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        if headers.get("sec-websocket-accept") != accept:
            raise HeraldError("CONNECTION_FAILED", "bad Sec-WebSocket-Accept")
        return cls(reader, writer, headers.get("sec-websocket-protocol", ""))

    def _send_frame(self, opcode, data):
        header = bytes([0x80 | opcode])
        length = len(data)
        if length < 126:
            header += bytes([0x80 | length])
        elif length < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack("!H", length)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", length)
        mask = os.urandom(4)  # a client masks every frame
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.writer.write(header + mask + masked)

    async def send_text(self, text):
        self._send_frame(0x1, text.encode("utf-8"))
        await self.writer.drain()

    async def close(self, code=1000, reason=""):
        if self._close_sent or self.writer.is_closing():
            return
        self._close_sent = True
        try:
            self._send_frame(0x8, struct.pack("!H", code) + reason.encode())
            await self.writer.drain()
        except ConnectionError:
            pass

    async def _read_frame(self):
        b0, b1 = await self.reader.readexactly(2)
        fin, opcode, length = b0 & 0x80, b0 & 0x0F, b1 & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
        mask = await self.reader.readexactly(4) if b1 & 0x80 else None
        data = await self.reader.readexactly(length)
        if mask:
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        return fin, opcode, data

    async def receive(self):
        """The next text message, or None once the connection closed (see close_code/close_reason)."""
        parts = []
        while True:
            try:
                fin, opcode, data = await self._read_frame()
            except (asyncio.IncompleteReadError, ConnectionError):
                self.close_code = self.close_code or 1006
                return None
            if opcode == 0x9:  # ping: answer with the same data
                self._send_frame(0xA, data)
                await self.writer.drain()
            elif opcode == 0xA:  # pong
                pass
            elif opcode == 0x8:
                self.close_code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else 1005
                self.close_reason = data[2:].decode("utf-8", "replace")
                await self.close(self.close_code if self.close_code < 5000 and self.close_code != 1005 else 1000)
                self.writer.close()
                return None
            elif opcode in (0x1, 0x0):
                parts.append(data)
                if fin:
                    return b"".join(parts).decode("utf-8")
            else:  # Herald routers send text frames only
                raise HeraldError("PROTOCOL_INVALID_FRAME", f"unexpected opcode {opcode}")


# ---- Herald over herald.v1.json ----


def encode(value):
    """A json payload, or a codec-encoded header string (hello.info...): JSON text."""
    return json.dumps(value, separators=(",", ":"))


class Herald:
    def __init__(self, ws):
        self.ws = ws
        self.welcome = None
        self._next_id = 1
        self._pending = {}  # our request id -> future of the reply (header, payload)
        self._handlers = {}  # method -> function(params, caller) -> result
        self._serving = {}  # the router's request id -> task serving it
        self.messages = asyncio.Queue()  # (header, value) of `message` frames
        self.presence = asyncio.Queue()  # presence_join / presence_leave headers
        self.cancels = asyncio.Queue()  # R→C cancel headers
        self.errors = []  # `error` frames without an id
        self._reader = None

    @classmethod
    async def connect(cls, url, name, info=None):
        ws = await WebSocket.connect(url, [SUBPROTOCOL])
        if ws.protocol != SUBPROTOCOL:
            raise HeraldError("CODEC_UNSUPPORTED", f"the router selected {ws.protocol!r}")
        client = cls(ws)
        hello = {"type": "hello", "name": name}
        if info is not None:
            hello["info"] = encode(info)  # a string holding JSON text, not a JSON object
        await ws.send_text(encode(hello))
        first = await ws.receive()
        if first is None:  # refused: the close reason starts with the code
            code, _, message = ws.close_reason.partition(": ")
            raise HeraldError(code or "CONNECTION_REFUSED", message or str(ws.close_code))
        header, _ = cls._split(first)
        if header["type"] != "welcome":
            raise HeraldError("PROTOCOL_INVALID_MESSAGE", f"expected welcome, got {header['type']}")
        client.welcome = header
        client._reader = asyncio.create_task(client._read_loop())
        return client

    @staticmethod
    def _split(frame):
        """A frame is one line of JSON header, then optionally LF and the payload."""
        head, lf, payload = frame.partition("\n")
        return json.loads(head), (json.loads(payload) if lf else None)

    async def _send(self, header, payload=None):
        text = encode(header)
        if payload is not None:
            text += "\n" + payload
        await self.ws.send_text(text)

    async def call(self, header, payload=None):
        """Sends a message with a fresh id and waits for its reply; an `error` reply raises."""
        _, reply = await self._start(header, payload)
        return await reply

    async def _start(self, header, payload=None):
        """Sends a message with a fresh id; returns the id and the future of its reply."""
        request_id = self._next_id
        self._next_id += 1
        future = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        await self._send({**header, "id": request_id}, payload)
        return request_id, future

    async def _read_loop(self):
        while True:
            frame = await self.ws.receive()
            if frame is None:
                break
            header, value = self._split(frame)
            kind = header["type"]
            if kind == "message":
                self.messages.put_nowait((header, value))
            elif kind in ("presence_join", "presence_leave"):
                self.presence.put_nowait(header)
            elif kind == "request":  # the router asks us, a provider
                self._serving[header["id"]] = asyncio.create_task(self._serve(header, value))
            elif kind == "cancel":
                task = self._serving.pop(header["id"], None)
                if task:
                    task.cancel()
                self.cancels.put_nowait(header)
            elif kind == "error" and "id" not in header:
                self.errors.append(header)
            else:
                future = self._pending.pop(header.get("id"), None)
                if future is None or future.done():
                    continue  # a reply to an id we do not know: ignored
                if kind == "error":
                    future.set_exception(HeraldError(header["code"], header["message"]))
                elif kind == "response_error":
                    future.set_exception(HeraldError(header["code"], header["message"]))
                else:
                    future.set_result((header, value))
        for future in self._pending.values():
            if not future.done():
                future.set_exception(HeraldError("CONNECTION_CLOSED", self.ws.close_reason))

    async def _serve(self, header, params):
        caller = dict(header["caller"])
        if "info" in caller:
            caller["info"] = json.loads(caller["info"])
        try:
            result = self._handlers[header["method"]](params, caller)
        except Exception as error:  # noqa: BLE001 - every failure becomes a response_error
            code = getattr(error, "code", "HANDLER_ERROR")
            await self._send({"type": "response_error", "id": header["id"], "code": code, "message": str(error)})
        else:
            await self._send({"type": "response", "id": header["id"]}, encode(result))
        finally:
            self._serving.pop(header["id"], None)

    # ---- the API ----

    async def subscribe(self, pattern):
        header, _ = await self.call({"type": "subscribe", "pattern": pattern})
        return header["at"]

    async def unsubscribe(self, pattern):
        await self.call({"type": "unsubscribe", "pattern": pattern})

    async def publish(self, topic, value):
        header, _ = await self.call({"type": "publish", "topic": topic}, encode(value))
        return {"epoch": header["epoch"], "offset": header["offset"]}

    async def publish_raw(self, topic, payload_text):
        header, _ = await self.call({"type": "publish", "topic": topic}, payload_text)
        return header

    async def watch(self, topic):
        header, _ = await self.call({"type": "presence_watch", "topic": topic})
        return header["members"]

    async def handle(self, method, function):
        self._handlers[method] = function
        await self.call({"type": "handle", "method": method})

    async def request(self, method, params, timeout_ms=10_000):
        request_id, reply = await self._start({"type": "request", "method": method, "timeout": timeout_ms}, encode(params))
        try:
            _, result = await asyncio.wait_for(reply, timeout_ms / 1000)
            return result
        except asyncio.TimeoutError:
            # Our own timer ran out: tell the router, so the provider learns it was a timeout.
            self._pending.pop(request_id, None)
            await self._send({"type": "cancel", "id": request_id, "reason": "timeout"})
            raise HeraldError("TIMEOUT", f"no reply to {method} within {timeout_ms} ms") from None

    async def ping(self):
        await self.call({"type": "ping"})

    async def close(self):
        await self.ws.close(1000, "")
        if self._reader:
            await self._reader


async def next_presence(client, kind, name):
    while True:
        event = await client.presence.get()
        if event["type"] == kind and event["member"]["name"] == name:
            return event


async def refused_connection(url, protocols, hello):
    """Opens a socket the router will refuse; returns the close code and the reason's error code."""
    ws = await WebSocket.connect(url, protocols)
    await ws.send_text(encode(hello))
    while await ws.receive() is not None:
        pass
    return [ws.close_code, ws.close_reason.partition(": ")[0]]


async def scenario(url):
    """Runs the conversation python-client.int.test.ts expects, and returns what it saw."""
    report = {}
    # Refusals before the welcome come as close codes with a `CODE: ...` reason (PROTOCOL.md §2).
    report["refusedConnections"] = {
        "codec": await refused_connection(url, ["herald.v2.cbor"], {"type": "hello"}),
        "infoObject": await refused_connection(url, [SUBPROTOCOL], {"type": "hello", "info": {"lang": "python"}}),
        "infoNotJson": await refused_connection(url, [SUBPROTOCOL], {"type": "hello", "info": "python"}),
    }
    py = await Herald.connect(url, "py", {"lang": "python"})
    report["welcome"] = {k: py.welcome[k] for k in ("version", "name", "maxPayload", "heartbeatMs")}

    # Presence: the JavaScript client "js" is a member of room.lobby already.
    members = await py.watch("room.lobby")
    report["members"] = [[m["name"], json.loads(m["info"]) if "info" in m else None] for m in members]
    await py.subscribe("room.lobby")
    report["selfJoin"] = (await next_presence(py, "presence_join", "py"))["member"]["name"]

    # Serve a method the JavaScript side calls.
    served = asyncio.get_running_loop().create_future()

    def upper(params, caller):
        if not served.done():
            served.set_result({"params": params, "caller": [caller["name"], caller.get("info")]})
        return {"upper": params["text"].upper(), "by": "python"}

    await py.handle("py.upper", upper)

    # Subscribe, publish with ack, call a JavaScript method.
    report["subscribedAt"] = isinstance(await py.subscribe("py.in"), (int, float))
    report["ack"] = await py.publish("py.out", {"from": "python", "n": 1, "text": "héllo"})
    report["add"] = await py.request("js.add", {"a": 2, "b": 3})

    # Refusals come back coded, and the connection stays open.
    refusals = {}
    for label, action in (
        ("topic", py.publish("bad..topic", 1)),
        ("bigint", py.publish_raw("py.out", '{"id":9007199254740993}')),
        ("nohandler", py.request("nobody.home", None)),
    ):
        try:
            await action
            refusals[label] = None
        except HeraldError as error:
            refusals[label] = error.code
    report["refusals"] = refusals

    # Tell the JavaScript side we are ready; it then publishes to py.in, calls py.upper, and a
    # second JavaScript client joins and leaves room.lobby.
    await py.publish("py.ready", True)
    header, value = await py.messages.get()
    report["received"] = {"topic": header["topic"], "from": header["from"]["name"], "value": value}
    report["served"] = await served
    join = await next_presence(py, "presence_join", "js2")
    leave = await next_presence(py, "presence_leave", "js2")
    report["js2"] = [join["topic"], leave["reason"]]

    await py.ping()
    report["unsolicitedErrors"] = py.errors
    await py.close()
    report["closeCode"] = py.ws.close_code
    return report


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    report = asyncio.run(asyncio.wait_for(scenario(sys.argv[1]), 30))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
