#!/usr/bin/env bash
# MiniStack (MIT, LocalStack-compatible, no Docker) in a venv this script makes: start | stop.
set -euo pipefail
cd "$(dirname "$0")/.."
MINISTACK_VERSION=1.5.33
venv=.baton/venv
pidfile=.baton/ministack.pid
mkdir -p .baton
case "${1:-start}" in
  start)
    if [ ! -x "$venv/bin/ministack" ]; then
      python3 -m venv "$venv"
      "$venv/bin/pip" install --quiet "ministack==$MINISTACK_VERSION"
    fi
    if curl -sf http://127.0.0.1:4566/_localstack/health >/dev/null 2>&1; then
      echo "something already answers on :4566; not starting MiniStack" >&2
      exit 1
    fi
    # Its local Lambda executor runs every function with the `node` first on PATH, whatever the declared
    # runtime: it must be Node 22+ (the bundles are ESM for nodejs24.x).
    node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
    if [ "$node_major" -lt 22 ]; then
      echo "MiniStack would run the functions with node $(node --version 2>/dev/null || echo '(none)'); put Node 22+ first on PATH" >&2
      exit 1
    fi
    # Its worker scripts are CommonJS: keep its temp folder out of this "type": "module" project.
    export TMPDIR="${TMPDIR:-/tmp}"
    case "$TMPDIR" in "$PWD"*) export TMPDIR=/tmp ;; esac
    GATEWAY_PORT=4566 nohup "$venv/bin/ministack" > .baton/ministack.log 2>&1 &
    echo $! > "$pidfile"
    for _ in $(seq 1 60); do
      curl -sf http://127.0.0.1:4566/_localstack/health >/dev/null 2>&1 && { echo "MiniStack $MINISTACK_VERSION on http://127.0.0.1:4566 (pid $(cat $pidfile), log .baton/ministack.log)"; exit 0; }
      sleep 0.5
    done
    echo "MiniStack did not come up; see .baton/ministack.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; rm -f "$pidfile"; fi
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
