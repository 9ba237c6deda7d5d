"""Redis for the tests: TEST_REDIS_URL, else a testcontainer, else a local redis-server."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import cast

from redis.asyncio import Redis

from adapters.redis.client import create_redis_client
from tests.support.ports import free_port

NO_REDIS = (
    "No Redis for the integration tests: set TEST_REDIS_URL, start a Docker engine, "
    "or install redis-server (`make redis-server`)."
)


class LocalRedisServer:
    """A throwaway redis-server (or valkey-server, as `binary`) on loopback; kill() and
    restart() keep the same port, for tests of what the service does while Redis is down
    and after it returns."""

    def __init__(
        self,
        port: int | None = None,
        binary: str = "redis-server",
        extra_args: Sequence[str] = (),
        config_file: str | None = None,
    ) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._binary = binary
        self.extra_args = list(extra_args)  # e.g. --replicaof: a restart keeps them
        self._config_file = config_file  # first on the command line, where Redis wants it
        self._process: subprocess.Popen[bytes] | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="skycache-redis-")

    def start(self, timeout_s: float = 10.0) -> LocalRedisServer:
        if shutil.which(self._binary) is None:
            raise RuntimeError(f"{self._binary} is not installed. {NO_REDIS}")
        # No persistence: every start is an empty server, and nothing is written to disk.
        command = [self._binary, *([self._config_file] if self._config_file else [])]
        command += ["--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", self._dir.name]
        command += self.extra_args
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self._wait_until_it_answers(timeout_s)
        return self

    def stop(self) -> None:
        """A clean shutdown (SIGTERM)."""
        self._end(kill=False)

    def kill(self) -> None:
        """A crash (SIGKILL): clients see their connections reset."""
        self._end(kill=True)

    def restart(self, timeout_s: float = 10.0) -> LocalRedisServer:
        self._end(kill=False)
        return self.start(timeout_s)

    def close(self) -> None:
        self.stop()
        self._dir.cleanup()

    @property
    def process_id(self) -> int | None:
        """For tests that freeze it (SIGSTOP): it then queues commands and answers none."""
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> LocalRedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _end(self, *, kill: bool) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        if kill:
            process.kill()
        else:
            process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _wait_until_it_answers(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"{self._binary} exited at start-up (port {self.port} taken?)")
            if _answers_ping(self.port):
                return
            time.sleep(0.02)
        self._end(kill=True)
        raise RuntimeError(f"{self._binary} on port {self.port} did not answer PING in time")


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            # A server with a password refuses the PING, which still says it is up.
            return sock.recv(16).startswith((b"+PONG", b"-NOAUTH"))
    except OSError:
        return False


@contextlib.contextmanager
def provide_redis_url() -> Iterator[str]:
    """Yields a URL of an empty-enough Redis for the whole session; never skips."""
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        yield url
        return
    with contextlib.ExitStack() as stack:
        yield _container_url(stack) or stack.enter_context(LocalRedisServer()).url


def _container_url(stack: contextlib.ExitStack) -> str | None:
    try:
        from docker.errors import DockerException
        from testcontainers.community.redis import RedisContainer
    except ImportError:  # the test extras are not installed: a local server will do
        return None
    try:
        container = RedisContainer("redis:7-alpine")
        container.start()  # raises DockerException at once when no engine answers
    except DockerException:
        return None
    stack.callback(container.stop)
    host = container.get_container_host_ip()
    return f"redis://{host}:{container.get_exposed_port(container.port)}/0"


@contextlib.asynccontextmanager
async def client_on(url: str, *, flush: bool = False, patient: bool = True) -> AsyncIterator[Redis]:
    """A client on `url`, emptied first if `flush`, closed afterwards.

    A patient client's timeouts are well above the service's, so that a busy 2-core CI box
    does not fail a test; otherwise it has the service's own."""
    # A URL is always one node's client.
    client = cast(
        Redis,
        create_redis_client(url, timeout_s=2.0, connect_timeout_s=2.0)
        if patient
        else create_redis_client(url),
    )
    try:
        if flush:
            await client.flushdb()
        yield client
    finally:
        await client.aclose()
