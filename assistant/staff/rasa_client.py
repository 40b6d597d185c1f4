"""Staff's side of a hand-off, on the Rasa server's token-authenticated HTTP API: a reply goes
to the channel the patient last wrote from when that channel can push (the website widget
gets it live); resume lets the bot answer again."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import aiohttp
from sqlalchemy import update
from sqlalchemy.engine import Engine

from assistant.records.tables import handoff_requests

MAX_REPLY = 2000


class RasaError(RuntimeError):
    """The Rasa server refused or could not be reached; the message is fit for staff."""


class RasaClient:
    def __init__(self, url: str, token: str, timeout: float = 15.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    async def append(self, conversation: str, events: list[dict[str, Any]], push: bool = False) -> None:
        if not self.token:
            raise RasaError("no Rasa API token: set RASA_TOKEN (or start the assistant with `make run`)")
        params = {"token": self.token}
        if push:  # bot messages go to the patient's latest channel, not only into the tracker
            params |= {"output_channel": "latest", "execute_side_effects": "true"}
        url = f"{self.url}/conversations/{quote(conversation, safe='')}/tracker/events"
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as session,
                session.post(url, params=params, json=events) as response,
            ):
                if response.status != 200:
                    body = (await response.text())[:200]
                    raise RasaError(f"the assistant refused ({response.status}): {body}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RasaError(f"cannot reach the assistant at {self.url}: {type(exc).__name__}") from None

    async def reply(self, conversation: str, text: str) -> None:
        text = text.strip()
        if not text:
            raise RasaError("the reply is empty")
        if len(text) > MAX_REPLY:
            raise RasaError(f"the reply is longer than {MAX_REPLY} characters")
        await self.append(conversation, [{"event": "bot", "text": text, "metadata": {"from_staff": True}}], push=True)

    async def resume(self, engine: Engine, conversation: str) -> None:
        await self.append(conversation, [{"event": "resume"}])
        with engine.begin() as connection:
            connection.execute(
                update(handoff_requests)
                .where(handoff_requests.c.sender_id == conversation, handoff_requests.c.status == "waiting")
                .values(status="resumed", updated_at=datetime.now(timezone.utc))
            )
