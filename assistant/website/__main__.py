"""`python -m assistant.website --port 8080 --rasa-url http://127.0.0.1:5005`: the widget and demo pages.
Without arguments: RASA_INTERFACE, WEB_PORT and RASA_PUBLIC_URL (README, "Configuration")."""

from __future__ import annotations

import argparse

from assistant.clinic.profile import load_profile
from assistant.settings import SettingsError, settings
from assistant.website.app import WebsiteConfig, create_app


def main() -> None:
    try:
        env = settings()
    except SettingsError as exc:
        raise SystemExit(f"error: {exc}") from None
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=env.rasa_interface)
    parser.add_argument("--port", type=int, default=env.web_port)
    parser.add_argument("--rasa-url", default=env.public_rasa_url, help="where browsers reach the Rasa server")
    args = parser.parse_args()
    app = create_app(WebsiteConfig(rasa_url=args.rasa_url, profile=load_profile()))
    app.run(host=args.host, port=args.port, access_log=False, workers=1)


if __name__ == "__main__":
    main()
