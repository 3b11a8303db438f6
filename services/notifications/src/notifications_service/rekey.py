"""`python -m notifications_service.rekey`: re-encrypt every partner webhook signing secret
stored in clear (written before encryption at rest) or under a key that is no longer the
current one, with the current key (`NOTIFICATIONS_WEBHOOK_SECRET_KEYS`,
`NOTIFICATIONS_WEBHOOK_SECRET_KEY_ID`). Safe to run again, and while the service runs: each
row is rewritten conditionally on its version. After it, retired keys can be removed."""

from __future__ import annotations

import asyncio

from pymongo import AsyncMongoClient

from notifications_service.adapters.partner_webhooks_repository import reseal_all
from notifications_service.adapters.secret_box import SecretBox
from notifications_service.config import NotificationsSettings
from servicekit.mongo import Document


async def rekey(settings: NotificationsSettings) -> int:
    box = SecretBox.from_config(settings.webhook_secret_keys.get_secret_value(), settings.webhook_secret_key_id)
    client: AsyncMongoClient[Document] = AsyncMongoClient(settings.mongo_uri)
    try:
        return await reseal_all(client[settings.mongo_db], box)
    finally:
        await client.close()


def main() -> None:
    settings = NotificationsSettings()
    count = asyncio.run(rekey(settings))
    print(f"{count} partner webhook subscription(s) re-encrypted")


if __name__ == "__main__":
    main()
