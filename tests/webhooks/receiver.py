"""A real HTTP receiver on 127.0.0.1 (http.server in a thread) that checks each request's Standard
Webhooks signature, as a customer's receiver would."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class Receiver:
    def __init__(self):
        self.secret: str | None = None
        self.received: list[dict] = []  # verified payloads, with their webhook-id
        self.refused: list[str] = []  # requests whose signature did not verify
        self.requests = 0
        self.status = 200
        self.delay = 0.0
        self.headers: dict[str, str] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests += 1
                if receiver.delay:
                    time.sleep(receiver.delay)
                try:
                    payload = Webhook(receiver.secret).verify(body, dict(self.headers))
                except WebhookVerificationError as error:
                    receiver.refused.append(str(error))
                    self.send_response(401)
                    self.end_headers()
                    return
                if 200 <= receiver.status < 300:
                    receiver.received.append({"id": self.headers["webhook-id"], **payload})
                self.send_response(receiver.status)
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if receiver.status < 300 else b"receiver says no")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def types(self) -> list[str]:
        return [payload["type"] for payload in self.received]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def __repr__(self):
        return json.dumps(self.received, indent=1)[:2000]
