"""The soak's `--logs DIR`: each instance's log kept, a restart appended to what came before."""

from __future__ import annotations

import sys
from pathlib import Path

from bench.servers import Server
from entrypoints.launcher import free_port

# Says hello, then answers 200 to every GET: ready at once for the launcher's probe.
_HELLO = """
import http.server, sys
print("hello", flush=True)
class Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
    def log_message(self, *_):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Ok).serve_forever()
"""


def test_a_restarted_server_appends_to_its_log(tmp_path: Path) -> None:
    port, log = free_port(), tmp_path / "instance-0.log"
    for _ in range(2):
        server = Server("instance-0", [sys.executable, "-c", _HELLO, str(port)], {}, port, log=log)
        server.start(10)
        server.stop()
    assert log.read_text().split() == ["hello", "hello"]
