#!/usr/bin/env bash
# Installs what wsfsm's interop peers need on a Debian machine, and only what is
# missing: Debian's python3-websockets for server.py (run by /usr/bin/python3),
# node and npm for server.js, and the npm packages pinned in package-lock.json
# (npm ci into this directory's node_modules). Safe to run again: a second run
# does nothing. Quiet on success; on failure it prints why and the tool's output
# and exits non-zero. Uses sudo for apt-get when not run as root.
set -euo pipefail

peers_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
stamp="$peers_dir/node_modules/.wsfsm-package-lock.sha256"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

die() {
  echo "install.sh (interop peers): $*" >&2
  if [ -s "$log" ]; then
    echo "--- output:" >&2
    tail -n 40 "$log" >&2
  fi
  exit 1
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

apt_updated=no
apt_install() {
  command -v apt-get >/dev/null 2>&1 ||
    die "apt-get not found: install $* with this system's package manager"
  if [ "$apt_updated" = no ]; then
    as_root apt-get update -q >"$log" 2>&1 || die "apt-get update failed"
    apt_updated=yes
  fi
  as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "$@" >"$log" 2>&1 ||
    die "apt-get install $* failed"
}

# Python peer: Debian's interpreter with Debian's websockets package, which
# must have what server.py imports (websockets 10 or later: bookworm has 10.4).
python_check='import websockets.frames, websockets.extensions.permessage_deflate, websockets.legacy.server, websockets.legacy.client'
if ! /usr/bin/python3 -c "$python_check" >/dev/null 2>&1; then
  apt_install python3 python3-websockets
  /usr/bin/python3 -c "$python_check" >"$log" 2>&1 ||
    die "/usr/bin/python3 cannot import what server.py needs ($python_check): websockets 10 or later"
fi

# Node peer: the runtime and npm, then the locked packages. package.json's
# "engines" says which node server.js needs; package-lock.json (lockfile v3)
# needs npm 7 or later. Debian bookworm has node 18 and npm 9.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt_install nodejs npm
  command -v node >/dev/null 2>&1 || die "nodejs installed but node is not on PATH"
  command -v npm >/dev/null 2>&1 || die "npm installed but not on PATH"
fi
node -e '
  const min = Number(require(process.argv[1]).engines.node.replace(/^>=\s*/, "").split(".")[0]);
  const have = Number(process.versions.node.split(".")[0]);
  if (!(have >= min)) { console.error(`node ${process.version} is older than ${min}`); process.exit(1); }
' "$peers_dir/package.json" >"$log" 2>&1 ||
  die "node $(node --version) is too old for package.json's engines.node; install a newer nodejs"
npm_major=$(npm --version 2>/dev/null | cut -d. -f1)
[ "${npm_major:-0}" -ge 7 ] 2>/dev/null ||
  die "npm $(npm --version 2>/dev/null) cannot read package-lock.json (lockfile v3): npm 7 or later is needed"

want=$(sha256sum "$peers_dir/package-lock.json" | cut -d' ' -f1)
have=$(cat "$stamp" 2>/dev/null || true)
if [ "$want" != "$have" ] || [ ! -f "$peers_dir/node_modules/ws/package.json" ]; then
  npm ci --prefix "$peers_dir" --no-audit --no-fund >"$log" 2>&1 ||
    die "npm ci --prefix $peers_dir failed"
  echo "$want" >"$stamp"
fi

# Both peers must now load their library (server.* exit 3 when they cannot).
(cd "$peers_dir" && node -e "require('ws')") >"$log" 2>&1 ||
  die "node cannot load ws from $peers_dir/node_modules"
