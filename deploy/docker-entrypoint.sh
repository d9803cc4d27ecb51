#!/bin/sh
# The container's command: `apidouble run` built from APIDOUBLE_* variables, then exec'd so
# the server is the container's main process and receives SIGTERM from `docker stop` or the
# kubelet directly (a shell left in between would not forward it).
#
#   APIDOUBLE_MAPPINGS     stubs to serve: a folder or file (default /home/apidouble/mappings)
#   APIDOUBLE_HOST         address to bind (default 0.0.0.0: the container's network is the boundary)
#   APIDOUBLE_PORT         port to listen on (default 8080)
#   APIDOUBLE_STATE        where behaviour state lives: memory, or redis://HOST:PORT/DB
#   APIDOUBLE_WORKERS      processes serving the port
#   APIDOUBLE_PERSIST_DIR  folder for stubs made through the admin API
#   APIDOUBLE_ADMIN_TOKEN  read by apidouble itself, so the token never shows in `ps`
#
# Arguments given to the container (`docker run IMAGE --seed 7`) are passed on as they are.
set -eu

# Options first, the caller's arguments next (a repeated flag there wins: the last one
# counts), the stubs last so extra arguments may also name more config paths.
set -- "$@" "${APIDOUBLE_MAPPINGS:-/home/apidouble/mappings}"
if [ -n "${APIDOUBLE_PERSIST_DIR:-}" ]; then
    set -- --persist-dir "$APIDOUBLE_PERSIST_DIR" "$@"
fi
if [ -n "${APIDOUBLE_WORKERS:-}" ]; then
    set -- --workers "$APIDOUBLE_WORKERS" "$@"
fi
if [ -n "${APIDOUBLE_STATE:-}" ]; then
    set -- --state "$APIDOUBLE_STATE" "$@"
fi

exec apidouble run --host "${APIDOUBLE_HOST:-0.0.0.0}" --port "${APIDOUBLE_PORT:-8080}" "$@"
