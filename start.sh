#!/usr/bin/env bash
# Sets up .venv (if needed) and starts the bot; with no bot token configured, runs the offline demo.
set -euo pipefail
cd "$(dirname "$0")"
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
config="${POSOM_CONFIG:-config.toml}"
if [ -f "$config" ] || [ -n "${POSOM_TELEGRAM__TOKEN:-}" ]; then
    exec .venv/bin/posom run --config "$config" "$@"
fi
echo "Ingen $config hittades – kör offline-demon (posom demo). / No $config found – running the offline demo."
exec .venv/bin/posom demo "$@"
