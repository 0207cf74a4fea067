"""Starting the service: unsafe secrets refused in production, broken templates refused at load, a
broken channel reported by name while the others load."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from pydantic import ValidationError

from notifications.bootstrap import bootstrap
from notifications.settings import NotificationsSettings
from notifications.templates import TemplatesInvalid

PRODUCTION = {
    "environment": "production",
    "database_url": "postgresql+asyncpg://db/notifications",
    "organiser_token": secrets.token_urlsafe(32),
    "grant_key": secrets.token_urlsafe(32),
    "link_key": secrets.token_urlsafe(32),
}
DOCUMENT_KEY = secrets.token_urlsafe(32)


def test_production_refuses_the_development_document_key() -> None:
    with pytest.raises(ValidationError, match="document_signing_key"):
        NotificationsSettings(**PRODUCTION)


def test_production_starts_with_a_real_document_key() -> None:
    settings = NotificationsSettings(
        **PRODUCTION, document_signing_key=DOCUMENT_KEY, enabled_channels=["email"]
    )
    assert settings.document_signing_key.get_secret_value() == DOCUMENT_KEY


@pytest.mark.parametrize("weak", ["k" * 40, "CHANGE-ME-to-a-random-secret-of-32-characters-or-more", "short"])
def test_production_refuses_a_weak_or_placeholder_document_key(weak: str) -> None:
    with pytest.raises(ValidationError, match="document_signing_key is refused"):
        NotificationsSettings(**PRODUCTION, document_signing_key=weak, enabled_channels=["email"])


def test_production_refuses_a_webhook_channel_without_a_secret() -> None:
    with pytest.raises(ValidationError, match="webhook_secret"):
        NotificationsSettings(**PRODUCTION, document_signing_key=DOCUMENT_KEY, enabled_channels=["webhook"])


def test_the_file_channel_writes_under_the_data_dir_by_default(tmp_path: Path) -> None:
    settings = NotificationsSettings(data_dir=str(tmp_path))
    assert settings.channel_configs()["file"]["path"] == f"{tmp_path}/messages"


def test_a_broken_override_template_stops_the_service_at_load_naming_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "templates" / "ru" / "entry_received"
    broken.mkdir(parents=True)
    (broken / "subject.j2").write_text("Заявка {{ entry.title", encoding="utf-8")
    with pytest.raises(TemplatesInvalid, match=r"subject\.j2"):
        bootstrap(NotificationsSettings(data_dir=str(tmp_path), templates_folder=tmp_path / "templates"))


def test_an_override_template_replaces_the_built_in_one(tmp_path: Path) -> None:
    folder = tmp_path / "templates" / "ru" / "entry_received"
    folder.mkdir(parents=True)
    (folder / "subject.j2").write_text("Получено: {{ entry.title }}", encoding="utf-8")
    service = bootstrap(
        NotificationsSettings(data_dir=str(tmp_path), templates_folder=tmp_path / "templates")
    )
    assert service.catalogue.preview("entry_received", "ru").subject == "Получено: Рюкзачок знаний"


def test_a_channel_that_cannot_load_is_reported_by_name_and_the_others_load(tmp_path: Path) -> None:
    settings = NotificationsSettings(
        data_dir=str(tmp_path),
        enabled_channels=["file", "email", "carrier-pigeon"],
        channel_options={"email": {"port": "not a port"}},
    )
    loaded = bootstrap(settings).load_channels()
    assert sorted(loaded.channels) == ["file"]
    assert sorted(f.name for f in loaded.failures) == ["carrier-pigeon", "email"]
    assert "port" in next(f.error for f in loaded.failures if f.name == "email")
