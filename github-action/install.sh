#!/usr/bin/env bash
# Builds shipgate from the action's own checkout (the repository the workflow
# pinned with `uses: …@ref`) into the runner's tool cache, once per source
# version; the cache step before this one restores it on later runs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${RUNNER_TOOL_CACHE:-$HOME/.cache}/shipgate"
if [ ! -x "$dest/bin/shipgate" ]; then
  cargo install --locked --path "$root/cli" --root "$dest"
fi
echo "$dest/bin" >> "${GITHUB_PATH:-/dev/null}"
"$dest/bin/shipgate" --version
