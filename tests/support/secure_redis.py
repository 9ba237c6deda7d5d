"""A redis-server with a password and, optionally, TLS (a throwaway CA made with openssl)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from tests.support.ports import free_port


def make_certificates(directory: Path) -> Path:
    """A CA, and a server certificate it signed for 127.0.0.1; returns the CA's file."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "1",
            "-subj", "/CN=skycache test CA")  # fmt: skip
    openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.crt", "-days", "1",
            "-extfile", "san.ext")  # fmt: skip
    return directory / "ca.crt"


def tls_supported() -> bool:
    """Debian builds redis-server with TLS; others may not."""
    binary = shutil.which("redis-server")
    if binary is None or shutil.which("openssl") is None:
        return False
    # A build without TLS rejects the directive; one with it exits at once, listening nowhere.
    probe = subprocess.run([binary, "--port", "0", "--tls-replication", "no", "--save", ""],
                           capture_output=True, text=True, timeout=10)  # fmt: skip
    return "Bad directive" not in probe.stderr + probe.stdout


class SecureRedisServer:
    """`url` speaks plain Redis; `tls_url` (when started with tls=True) speaks TLS."""

    def __init__(self, password: str, *, tls: bool = False) -> None:
        self.password = password
        self._tls = tls
        self._dir = tempfile.TemporaryDirectory(prefix="skycache-redis-secure-")
        self.ca_file = make_certificates(Path(self._dir.name)) if tls else None
        self.port = free_port()
        self.tls_port = free_port() if tls else 0
        self.url = f"redis://:{password}@127.0.0.1:{self.port}/0"
        self.tls_url = f"rediss://:{password}@127.0.0.1:{self.tls_port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 10.0) -> SecureRedisServer:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--requirepass", self.password, "--save", "", "--appendonly", "no"]
        command += ["--dir", self._dir.name]
        if self._tls:
            d = Path(self._dir.name)
            command += ["--tls-port", str(self.tls_port), "--tls-auth-clients", "no"]
            command += ["--tls-cert-file", str(d / "server.crt")]
            command += ["--tls-key-file", str(d / "server.key")]
            command += ["--tls-ca-cert-file", str(d / "ca.crt")]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while not self._answers():
            if time.monotonic() > deadline or self._process.poll() is not None:
                self.close()
                raise RuntimeError(f"secure redis-server did not start: {command}")
            time.sleep(0.05)
        return self

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_timeout=2)

    def _answers(self) -> bool:
        try:
            with self.client() as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(10)
        self._dir.cleanup()

    def __enter__(self) -> SecureRedisServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.close()
