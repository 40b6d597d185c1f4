"""Train the model only when its inputs changed; print the model's path.

The model is named after a fingerprint of everything it is built from
(data/, config.yml, domain.yml, clinic.yml via the rendered answers, the
project's own NLU components and policies, the safety net's examples and the
labelled sets it learns from, tests/triage/*messages.yml),
so a changed input means a new name, and an unchanged one reuses the file.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.clinic import render  # noqa: E402
from assistant.triage.safety_net import labelled_sets  # noqa: E402

MODELS = ROOT / "models"


def uses_own_components(config: Path) -> bool:
    """Whether the config's pipeline or policies name a component of this project (assistant.*)."""
    parsed = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    parts = [*(parsed.get("pipeline") or []), *(parsed.get("policies") or [])]
    return any(str(part.get("name", "")).startswith("assistant.") for part in parts if isinstance(part, dict))


def input_files(config: Path) -> list[Path]:
    data = sorted(p for p in (ROOT / "data").rglob("*") if p.is_file() and not p.name.startswith("."))
    if not uses_own_components(config):
        # A configuration of Rasa's own components only (the benchmark's baseline): our code is not in it.
        return [config, ROOT / "domain.yml", *data]
    # What training runs of our own: a change to it changes what the model holds.
    code = sorted([*(ROOT / "assistant" / "nlu").glob("*.py"), *(ROOT / "assistant" / "policies").glob("*.py")])
    triage = [
        ROOT / "assistant" / "triage" / name
        for name in ("component.py", "safety_net.py", "severity.py", "screening_training.yml")
    ]
    # The safety net trained into the model learns from the labelled sets too (the component's
    # fingerprint_addon): a set added or relabelled is a new model, not the old net under the old name.
    return [config, ROOT / "domain.yml", *data, *code, *triage, *labelled_sets()]


def fingerprint(files: Iterable[Path], base: Path = ROOT) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(base)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_path(config: Path, prefix: str) -> Path:
    return MODELS / f"{prefix}-{fingerprint(input_files(config))}.tar.gz"


def train_seconds(model: Path) -> float:
    """How long the model took to train, as recorded when it was trained."""
    record = model.parent / (model.name + ".train-seconds")
    return float(record.read_text()) if record.exists() else float("nan")


def publish_report(name: str, text: str) -> None:
    """Print a report and keep it in var/reports/."""
    print(text)
    reports = ROOT / "var" / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    (reports / name).write_text(text + "\n")


def ensure_model(config: Path, prefix: str, force: bool = False, out: Path | None = None) -> Path:
    if render.main([]) != 0:  # answers from clinic.yml first: they are model inputs
        raise SystemExit(2)
    target = model_path(config, prefix)
    if out is not None:
        target = out / target.name
    if target.exists() and not force:
        print(f"==> model up to date: {target.relative_to(ROOT)}", file=sys.stderr)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    print(f"==> training {target.name} with {config.name} (inputs changed)", file=sys.stderr)
    started = time.monotonic()
    cmd = [
        str(Path(sys.executable).parent / "rasa"),
        "train",
        "--config",
        str(config),
        "--domain",
        "domain.yml",
        "--data",
        "data",
        "--out",
        str(target.parent),
        "--fixed-model-name",
        target.name[: -len(".tar.gz")],
    ]
    if force:
        cmd.append("--force")
    result = subprocess.run(cmd, cwd=ROOT)
    if result.returncode != 0 or not target.exists():
        print("error: training failed (see the log above)", file=sys.stderr)
        raise SystemExit(result.returncode or 1)
    seconds = time.monotonic() - started
    (target.parent / (target.name + ".train-seconds")).write_text(f"{seconds:.1f}\n")
    for stale in target.parent.glob(f"{prefix}-*.tar.gz*"):  # older models of this config
        if not stale.name.startswith(target.name):
            stale.unlink()
    print(f"==> trained {target.name} in {seconds:.0f} s", file=sys.stderr)
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--prefix", default="clinic")
    parser.add_argument("--out", type=Path, default=None, help="folder for the model (default: models/)")
    parser.add_argument("--force", action="store_true", help="train even if the model exists")
    args = parser.parse_args()
    print(ensure_model(args.config.resolve(), args.prefix, args.force, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
