"""Render the clinic-fact answers from `clinic.yml` into Rasa response YAML.

Run at train time (`make train`), so the Rasa server answers clinic questions
without the action server, and a one-line profile edit reaches the bot on the
next `make run`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import jinja2
import yaml

from assistant.clinic.profile import ClinicProfile, ProfileError, load_profile
from assistant.settings import SettingsError

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "data" / "responses" / "clinic.yml.j2"
OUTPUT = ROOT / "data" / "responses" / "clinic.yml"


def _quote(value: object) -> str:
    # A JSON string is a valid YAML double-quoted scalar. Braces would be read
    # by Rasa as slot templates, so a profile value must not bring any in.
    text = " ".join(str(value).split())
    if "{" in text or "}" in text:
        raise ProfileError(f"clinic profile: curly braces are not allowed in answers: {text!r}")
    return json.dumps(text, ensure_ascii=False)


def render(profile: ClinicProfile, template_path: Path = TEMPLATE) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_path.parent)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 (YAML, not HTML: the `q` filter quotes every value)
        keep_trailing_newline=True,
    )
    env.filters["q"] = _quote
    text = env.get_template(template_path.name).render(clinic=profile)
    yaml.safe_load(text)  # fail here, not inside rasa train, if the template breaks YAML
    return text


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", type=Path, default=None, help="profile file (default: clinic.yml)")
    parser.add_argument("--out", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    try:
        text = render(load_profile(args.profile))
    except (ProfileError, SettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # Only rewrite on change, so file times do not trigger needless retraining checks.
    if not args.out.exists() or args.out.read_text(encoding="utf-8") != text:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
