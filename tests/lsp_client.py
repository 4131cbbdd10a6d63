"""A small Language Server Protocol client over a subprocess's stdio, for the tests: JSON-RPC
with Content-Length framing, requests answered by id, notifications collected in order."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from typing import Any, Callable, Dict, List, Optional


class LspClient:
    def __init__(self, command: List[str], cwd: Optional[str] = None, env: Optional[Dict[str, str]] = None):
        self.proc = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self._next_id = 0
        self._responses: Dict[int, Any] = {}
        self._notifications: "queue.Queue[dict]" = queue.Queue()
        self._cond = threading.Condition()
        self.stderr = b""
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    # -- wire ----------------------------------------------------------------------------------
    def _send(self, message: dict) -> None:
        body = json.dumps(message).encode("utf-8")
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            headers = {}
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode("ascii").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = out.read(int(headers["content-length"]))
            message = json.loads(body)
            if "id" in message and "method" in message:  # a request from the server
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "id" in message:
                with self._cond:
                    self._responses[message["id"]] = message
                    self._cond.notify_all()
            else:
                self._notifications.put(message)

    def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        for chunk in iter(lambda: self.proc.stderr.read(4096), b""):
            self.stderr += chunk

    # -- protocol ------------------------------------------------------------------------------
    def request(self, method: str, params: Any, timeout: float = 30) -> Any:
        self._next_id += 1
        rid = self._next_id
        self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        with self._cond:
            while rid not in self._responses:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no answer to {method}; server stderr:\n{self.stderr.decode()}")
                self._cond.wait(left)
            message = self._responses.pop(rid)
        if "error" in message:
            raise RuntimeError(f"{method}: {message['error']}")
        return message.get("result")

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait_for(self, method: str, match: Callable[[dict], bool] = lambda p: True, timeout: float = 30) -> dict:
        """The params of the next notification `method` whose params satisfy `match` (others of
        that method are skipped; other methods are kept for later)."""
        deadline = time.monotonic() + timeout
        kept = []
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {method}; server stderr:\n{self.stderr.decode()}")
                try:
                    message = self._notifications.get(timeout=left)
                except queue.Empty:
                    continue
                if message.get("method") == method and match(message.get("params")):
                    return message["params"]
                if message.get("method") != method:
                    kept.append(message)
        finally:
            for m in kept:
                self._notifications.put(m)


def apply_text_edits(text: str, edits: List[dict]) -> str:
    """Apply LSP TextEdits (UTF-16 positions) to `text`, last first."""
    lines = text.splitlines(keepends=True)

    def offset(pos: dict) -> int:
        line = pos["line"]
        before = sum(len(ln) for ln in lines[:line])
        if line >= len(lines):
            return len(text)
        units = lines[line].encode("utf-16-le")[: pos["character"] * 2]
        return before + len(units.decode("utf-16-le"))

    for e in sorted(edits, key=lambda e: (e["range"]["start"]["line"], e["range"]["start"]["character"]), reverse=True):
        start, end = offset(e["range"]["start"]), offset(e["range"]["end"])
        text = text[:start] + e["newText"] + text[end:]
        lines = text.splitlines(keepends=True)
    return text
