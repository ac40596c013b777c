"""Settings test helpers: write a TOML file; load it hermetically (no process env, no /run/secrets)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path

from bot.app.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
PAPER_TOML = REPO / "config" / "paper.toml"
LIVE_EXAMPLE_TOML = REPO / "config" / "live.example.toml"

LIVE_KEYS = {
    "SPOTBOT_EXCHANGE__API_KEY": "live-key-AAAA1111",
    "SPOTBOT_EXCHANGE__API_SECRET": "live-secret-BBBB2222",
}


def write_toml(directory: Path, text: str, name: str = "config.toml") -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load(
    path: Path | None,
    secrets_dir: Path,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """``load_settings`` isolated from the machine: an explicit env and an explicit (empty) secrets dir."""
    return load_settings(path, env=env or {}, secrets_dir=secrets_dir)
