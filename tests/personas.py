"""One logged-in client per persona, healthchecks-style: ``self.client_as("teacher")``."""

from __future__ import annotations

from typing import Any, ClassVar

from django.test import Client, TestCase

from .world import PERSONAS, World, build_world


class PersonaTestCase(TestCase):
    world: ClassVar[World]

    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()

    def setUp(self) -> None:
        self._clients: dict[str, Client] = {}

    def __getattr__(self, name: str) -> Any:
        # self.teacher, self.county_officer…: the persona's user.
        if name in PERSONAS:
            return self.world.users[name]
        raise AttributeError(name)

    def org(self, key: str) -> Any:
        return self.world.orgs[key]

    def client_as(self, persona: str) -> Client:
        if persona not in self._clients:
            client = Client(REMOTE_ADDR="127.0.0.1")
            client.force_login(self.world.users[persona])
            self._clients[persona] = client
        return self._clients[persona]


class TempMediaTestCase(PersonaTestCase):
    """Uploads land in a media folder of the test's own (``self.staged`` for staged uploads),
    never in the real ``var/media``."""

    def setUp(self) -> None:
        super().setUp()
        import shutil
        import tempfile
        from pathlib import Path

        media = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, media, ignore_errors=True)
        override = self.settings(MEDIA_ROOT=media)
        override.enable()
        self.addCleanup(override.disable)
        self.staged = Path(media) / "uploads"
