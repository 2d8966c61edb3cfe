#!/usr/bin/env bash
# The production shape on this one machine, from the checkout (docs/operations.md, "Run the production shape"):
#
#   nginx (Debian's package, its own config and prefix in the run directory) on STACK_PORT (8080)
#     /socket.io/ -> 2 socket processes (gunicorn, 1 gevent worker each), sticky upstream
#     /static/    -> the checkout's static/
#     the rest    -> the API workers (one gunicorn, 4 sync workers)
#   the jobs process (flask --app wsgi jobs run), PostgreSQL (database televisit_stack) and Redis (message queue)
#
#   scripts/stack.sh start|stop|status        (make stack / make stack-stop)
#
# Logs, pid files, nginx's config and the settings every process got (stack.env) are in STACK_DIR
# (instance/stack). PostgreSQL and Redis are started only when they are down, and stopped by `stop` only then.
# Settings (environment):
#   STACK_PORT (8080)  STACK_API_PORT (STACK_PORT+1)  STACK_SOCKET_PORTS ("STACK_PORT+2 STACK_PORT+3")
#   STACK_HOST (127.0.0.1: nginx's listening address)  STACK_DIR (instance/stack)  STACK_DB (televisit_stack)
#   STACK_PG_HOST/STACK_PG_PORT/STACK_PG_USER (127.0.0.1/5432/postgres)  STACK_REDIS_URL (redis://127.0.0.1:6379/0)
#   STACK_API_WORKERS (4)  STACK_BIN (.venv/bin)  STACK_PUBLIC_URL (http://STACK_HOST:STACK_PORT)
#   STACK_SEED (1: run seed-demo --with-users at each start, idempotent; 0: not on this start)
#   TELEVISIT_ENV (development: demo data and the dev outbox; production works too, without TELEVISIT_NOW),
#   TELEVISIT_LOG_FORMAT (json), TELEVISIT_NOW (the clock of demos and tests), and any other TELEVISIT_* variable
#   are passed on to every process.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

STACK_PORT=${STACK_PORT:-8080}
STACK_HOST=${STACK_HOST:-127.0.0.1}
STACK_API_PORT=${STACK_API_PORT:-$((STACK_PORT + 1))}
STACK_SOCKET_PORTS=${STACK_SOCKET_PORTS:-"$((STACK_PORT + 2)) $((STACK_PORT + 3))"}
STACK_DIR=${STACK_DIR:-$ROOT/instance/stack}
STACK_DB=${STACK_DB:-televisit_stack}
STACK_PG_HOST=${STACK_PG_HOST:-127.0.0.1}
STACK_PG_PORT=${STACK_PG_PORT:-5432}
STACK_PG_USER=${STACK_PG_USER:-postgres}
STACK_REDIS_URL=${STACK_REDIS_URL:-redis://127.0.0.1:6379/0}
STACK_API_WORKERS=${STACK_API_WORKERS:-4}
STACK_BIN=${STACK_BIN:-$ROOT/.venv/bin}
STACK_PUBLIC_URL=${STACK_PUBLIC_URL:-http://$STACK_HOST:$STACK_PORT}
STACK_WAIT_SECONDS=${STACK_WAIT_SECONDS:-90}

mkdir -p "$STACK_DIR"
STACK_DIR=$(cd "$STACK_DIR" && pwd)
PIDS=$STACK_DIR/pids
LOGS=$STACK_DIR/logs
NGX=$STACK_DIR/nginx
read -r -a SOCKET_PORTS <<<"$STACK_SOCKET_PORTS"

say() { printf '==> [%ss] %s\n' "$SECONDS" "$*"; }
note() { printf '    %s\n' "$*"; }
fail() {
  printf 'stack: %s\n' "$*" >&2
  exit 1
}

# --- processes: pid files, liveness --------------------------------------------------------------------------

pid_of() { cat "$PIDS/$1.pid" 2>/dev/null || true; }

# A pid file's process is alive and is still the program named in the file's `.cmd` companion (a reused pid is not).
alive() {
  local pid
  pid=$(pid_of "$1")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  local want
  want=$(cat "$PIDS/$1.cmd" 2>/dev/null || true)
  [ -z "$want" ] || tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$want"
}

# Every process this script runs itself, in stopping order (PostgreSQL and Redis only when it started them).
managed() {
  local name file
  for name in nginx 'socket-*' api jobs redis postgresql; do
    for file in "$PIDS"/$name.pid; do
      [ -f "$file" ] && basename "$file" .pid
    done
  done
  return 0
}

# Start "$@" detached (own session: Ctrl+C in the terminal does not reach it), output to logs/NAME.log.
launch() {
  local name=$1 match=$2
  shift 2
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$PIDS/$name.pid"
  echo "$match" >"$PIDS/$name.cmd"
}

# Wait until URL answers 200 while NAME's process lives; on failure show its log's end.
await() {
  local name=$1 url=$2 deadline=$((SECONDS + STACK_WAIT_SECONDS)) log="$LOGS/$1.log"
  [ "$name" != nginx ] || log="$LOGS/nginx-error.log"
  while [ $SECONDS -lt $deadline ]; do
    if ! alive "$name"; then
      printf 'stack: %s exited; the end of %s:\n' "$name" "$log" >&2
      tail -n 30 "$log" >&2 || true
      return 1
    fi
    if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then
      return 0
    fi
    sleep 0.3
  done
  printf 'stack: %s did not answer %s within %ss; the end of %s:\n' "$name" "$url" "$STACK_WAIT_SECONDS" "$log" >&2
  tail -n 30 "$log" >&2 || true
  return 1
}

# SIGTERM to each named process at once, wait for all (gunicorn gives requests in flight their graceful_timeout),
# SIGKILL (the whole process group: a master's workers too) what is left after 25 s.
terminate() {
  local name pid names=() deadline=$((SECONDS + 25))
  for name in "$@"; do
    if alive "$name"; then
      kill -TERM "$(pid_of "$name")" 2>/dev/null || true
      names+=("$name")
    else
      rm -f "$PIDS/$name.pid" "$PIDS/$name.cmd"
    fi
  done
  for name in "${names[@]}"; do
    pid=$(pid_of "$name")
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      note "$name ($pid) did not stop within 25 s: SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    note "stopped $name ($pid)"
    rm -f "$PIDS/$name.pid" "$PIDS/$name.cmd"
  done
}

# --- services ------------------------------------------------------------------------------------------------

find_nginx() { command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true; }

ensure_nginx() {
  NGINX=$(find_nginx)
  if [ -n "$NGINX" ]; then
    note "nginx: $NGINX ($("$NGINX" -v 2>&1 | sed 's/^nginx version: //'))"
    return
  fi
  say "nginx is not installed: installing Debian's package (apt-get install -y nginx)"
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    fail "nginx is missing and this is not root on Debian: install it (sudo apt-get install -y nginx) and run again"
  fi
  note "(the package's own site in /etc/nginx is left alone: the stack runs nginx with its own config)"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q nginx >"$LOGS/apt-nginx.log" 2>&1; then
    note "refreshing the package lists first (apt-get update)"
    apt-get update -q >>"$LOGS/apt-nginx.log" 2>&1 || true
    apt-get install -y -q nginx >>"$LOGS/apt-nginx.log" 2>&1 ||
      { tail -n 20 "$LOGS/apt-nginx.log" >&2; fail "could not install nginx (log: $LOGS/apt-nginx.log)"; }
  fi
  NGINX=$(find_nginx)
  [ -n "$NGINX" ] || fail "apt-get installed nginx but no nginx binary was found"
  note "installed $("$NGINX" -v 2>&1 | sed 's/^nginx version: //')"
}

ensure_postgresql() {
  if pg_isready -h "$STACK_PG_HOST" -p "$STACK_PG_PORT" -q 2>/dev/null; then
    note "PostgreSQL: already running on $STACK_PG_HOST:$STACK_PG_PORT (left running by stop)"
    return
  fi
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$version" ] || fail "PostgreSQL is not running on $STACK_PG_HOST:$STACK_PG_PORT and no cluster is installed"
  say "starting PostgreSQL $version (pg_ctlcluster $version main start)"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start </dev/null >>"$LOGS/postgresql.log" 2>&1 ||
    { tail -n 20 "$LOGS/postgresql.log" >&2; fail "pg_ctlcluster could not start PostgreSQL"; }
  for _ in $(seq 1 60); do pg_isready -h "$STACK_PG_HOST" -p "$STACK_PG_PORT" -q && break; sleep 0.5; done
  pg_isready -h "$STACK_PG_HOST" -p "$STACK_PG_PORT" -q || fail "PostgreSQL did not come up"
  head -n 1 "/var/run/postgresql/$version-main.pid" >"$PIDS/postgresql.pid"
  echo "postgres" >"$PIDS/postgresql.cmd"
  echo "$version" >"$PIDS/postgresql.version"
}

redis_port() { sed -E 's#^redis://([^@/]*@)?[^:/]+:?([0-9]*).*#\2#' <<<"$STACK_REDIS_URL" | sed 's/^$/6379/'; }

ensure_redis() {
  if redis-cli -u "$STACK_REDIS_URL" ping >/dev/null 2>&1; then
    note "Redis: already running at $STACK_REDIS_URL (left running by stop)"
    return
  fi
  case $STACK_REDIS_URL in
  redis://127.0.0.1* | redis://localhost*) ;;
  *) fail "Redis does not answer at $STACK_REDIS_URL (only a local one is started by this script)" ;;
  esac
  local port
  port=$(redis_port)
  say "starting Redis on 127.0.0.1:$port (nothing kept on disk)"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no --dir "$STACK_DIR" \
    --pidfile "$PIDS/redis.pid" --logfile "$LOGS/redis.log" </dev/null >>"$LOGS/redis.log" 2>&1
  for _ in $(seq 1 60); do redis-cli -u "$STACK_REDIS_URL" ping >/dev/null 2>&1 && break; sleep 0.2; done
  redis-cli -u "$STACK_REDIS_URL" ping >/dev/null 2>&1 || fail "Redis did not come up (log: $LOGS/redis.log)"
  echo "redis-server" >"$PIDS/redis.cmd"
}

ensure_database() {
  local psql=(psql -h "$STACK_PG_HOST" -p "$STACK_PG_PORT" -U "$STACK_PG_USER" -d postgres -v ON_ERROR_STOP=1 -tAq)
  if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$STACK_DB'")" = 1 ]; then
    note "database $STACK_DB: exists"
  else
    say "creating database $STACK_DB"
    "${psql[@]}" -c "CREATE DATABASE \"$STACK_DB\""
  fi
  say "migrating (flask --app wsgi db upgrade)"
  env -u PROMETHEUS_MULTIPROC_DIR "$STACK_BIN/flask" --app wsgi db upgrade >>"$LOGS/setup.log" 2>&1 ||
    { tail -n 20 "$LOGS/setup.log" >&2; fail "db upgrade failed (log: $LOGS/setup.log)"; }
  if [ "${STACK_SEED:-1}" = 0 ]; then
    note "STACK_SEED=0: the demo program is not loaded again"
    return
  fi
  say "loading the demo program and sign-ins (flask --app wsgi seed-demo --with-users)"
  env -u PROMETHEUS_MULTIPROC_DIR "$STACK_BIN/flask" --app wsgi seed-demo --with-users >>"$LOGS/setup.log" 2>&1 ||
    { tail -n 20 "$LOGS/setup.log" >&2; fail "seed-demo failed (log: $LOGS/setup.log)"; }
  note "$(tail -n 1 "$LOGS/setup.log" | cut -c1-150)"
}

# --- settings shared by every process --------------------------------------------------------------------------

settings() {
  if [ ! -s "$STACK_DIR/secret_key" ]; then
    (umask 077 && "$STACK_BIN/python" -c 'import secrets; print(secrets.token_hex(32))' >"$STACK_DIR/secret_key")
  fi
  export TELEVISIT_ENV=${TELEVISIT_ENV:-development}
  export TELEVISIT_LOG_FORMAT=${TELEVISIT_LOG_FORMAT:-json}
  export TELEVISIT_DATABASE_URL="postgresql+psycopg://$STACK_PG_USER@$STACK_PG_HOST:$STACK_PG_PORT/$STACK_DB"
  export TELEVISIT_REDIS_URL=$STACK_REDIS_URL
  # Redis pub/sub ignores the database number: each stack (a developer's, a test's) has its own channel.
  export TELEVISIT_SOCKETIO_CHANNEL="televisit-stack-$STACK_DB"
  export TELEVISIT_PUBLIC_URL=$STACK_PUBLIC_URL
  TELEVISIT_SECRET_KEY=$(cat "$STACK_DIR/secret_key")
  export TELEVISIT_SECRET_KEY
  export TELEVISIT_PROXY_HOPS=1 # nginx
  export PROMETHEUS_MULTIPROC_DIR=$STACK_DIR/prometheus
  export PYTHONUNBUFFERED=1
  # Everything the processes got, for `status` and for a shell: set -a; . instance/stack/stack.env; set +a
  (
    umask 077
    env | grep -E '^(TELEVISIT_|TWILIO_|SMTP_|MAIL_FROM=|PROMETHEUS_MULTIPROC_DIR=)' | sort |
      sed -E "s/'/'\\\\''/g; s/^([A-Z_]+)=(.*)$/\1='\2'/"
  ) >"$STACK_DIR/stack.env"
}

# --- nginx: its own main config, including the rendered site of deploy/nginx/televisit.conf --------------------

render_site() {
  local site=$NGX/televisit.conf upstream="" port
  for port in "${SOCKET_PORTS[@]}"; do upstream+="    server 127.0.0.1:$port;\n"; done
  awk -v api="$STACK_API_PORT" -v ups="$upstream" -v listen="$STACK_HOST:$STACK_PORT" -v static="$ROOT/static/" \
    -v access="$LOGS/nginx-access.log" '
    /^    server 127\.0\.0\.1:8000;$/ { print "    server 127.0.0.1:" api ";"; n++; next }
    /^    server 127\.0\.0\.1:8001;$/ { printf "%s", ups; n++; next }
    /^    server 127\.0\.0\.1:8002;$/ { n++; next }
    /^    listen 80;$/ { print "    listen " listen ";"; n++; next }
    /^    server_name televisit\.example\.org;$/ { print "    server_name _;"; n++; next }
    /^        alias \/srv\/televisit\/static\/;$/ { print "        alias " static ";"; n++; next }
    /^    access_log \/var\/log\/nginx\/televisit\.access\.log televisit;$/ { print "    access_log " access " televisit;"; n++; next }
    { print }
    END { if (n != 7) { print "render: " n " of 7 lines replaced" > "/dev/stderr"; exit 1 } }
  ' "$ROOT/deploy/nginx/televisit.conf" >"$site" ||
    fail "deploy/nginx/televisit.conf no longer has the lines this script replaces (see its header)"
}

nginx_config() {
  mkdir -p "$NGX/tmp"
  render_site
  local user=""
  if [ "$(id -u)" = 0 ]; then
    # nginx's workers drop root: www-data when it can read the checkout's static files, else root (a checkout in
    # a private home directory, say).
    if id www-data >/dev/null 2>&1 && runuser -u www-data -- test -r "$ROOT/static/favicon.ico" 2>/dev/null; then
      user="user www-data;"
      chown -R www-data "$NGX/tmp"
    else
      user="user root;"
    fi
  fi
  cat >"$NGX/nginx.conf" <<EOF
# Written by scripts/stack.sh for \`make stack\`: edit deploy/nginx/televisit.conf (rendered into televisit.conf here).
$user
worker_processes 2;
# A waiting patient's WebSocket is two connections in nginx (the browser's and the socket process's) and one worker
# may accept most of them: room for 5,000 patients in either worker (issue 17), with the descriptors to match.
worker_rlimit_nofile 65536;
pid $NGX/nginx.pid;
error_log $LOGS/nginx-error.log warn;
events { worker_connections 16384; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    server_tokens off;
    client_body_temp_path $NGX/tmp/client_body;
    proxy_temp_path $NGX/tmp/proxy;
    fastcgi_temp_path $NGX/tmp/fastcgi;
    uwsgi_temp_path $NGX/tmp/uwsgi;
    scgi_temp_path $NGX/tmp/scgi;
    include $NGX/televisit.conf;
}
EOF
  "$NGINX" -t -q -p "$NGX/" -c "$NGX/nginx.conf" -e "$LOGS/nginx-error.log" ||
    fail "nginx refused the configuration in $NGX/nginx.conf"
}

# gunicorn's control socket (gunicornc) in the run directory when its path fits a Unix socket's, else none.
control() {
  local path=$STACK_DIR/$1.ctl
  if [ ${#path} -lt 100 ]; then echo "--control-socket $path"; else echo "--no-control-socket"; fi
}

# --- commands ------------------------------------------------------------------------------------------------

print_access() {
  local url
  url=$(sed -nE "s/^TELEVISIT_PUBLIC_URL='(.*)'$/\1/p" "$STACK_DIR/stack.env" 2>/dev/null || true)
  echo
  echo "Televisit is running at ${url:-$STACK_PUBLIC_URL}  (nginx; API workers on 127.0.0.1:$STACK_API_PORT," \
    "socket processes on ${SOCKET_PORTS[*]/#/127.0.0.1:})"
  echo "Demo sign-ins (password televisit-demo):"
  echo "  admin@demo.televisit.local  scheduler@demo.televisit.local  amara.okafor@demo.televisit.local (clinician)"
  echo "  patient@demo.televisit.local"
  echo "(Open it at that address: it is the one origin the socket processes accept.)"
  if [ "$STACK_DIR" = "$ROOT/instance/stack" ]; then
    echo "Logs: $LOGS   Stop: make stack-stop   Status: make stack-status"
  else
    echo "Logs: $LOGS   Stop: STACK_DIR=$STACK_DIR scripts/stack.sh stop"
  fi
}

cmd_start() {
  mkdir -p "$PIDS" "$LOGS"
  local running=() dead=() name
  for name in $(managed); do
    case $name in redis | postgresql) continue ;; esac
    if alive "$name"; then running+=("$name"); else dead+=("$name"); fi
  done
  if [ ${#running[@]} -gt 0 ] && [ ${#dead[@]} -eq 0 ]; then
    say "the stack is already running (${running[*]}); \`make stack-stop\` stops it"
    print_access
    return 0
  fi
  if [ ${#running[@]} -gt 0 ]; then
    fail "the stack is partly running (up: ${running[*]}; gone: ${dead[*]}): run \`make stack-stop\` first"
  fi
  for name in "${dead[@]}"; do rm -f "$PIDS/$name.pid" "$PIDS/$name.cmd"; done
  trap 'if [ "$?" != 0 ]; then echo "stack: start failed: stopping what it started" >&2; cmd_stop >&2; fi' EXIT
  say "run directory $STACK_DIR (logs in $LOGS)"
  [ -x "$STACK_BIN/gunicorn" ] && [ -x "$STACK_BIN/flask" ] ||
    fail "no virtualenv at $STACK_BIN: run \`make setup\` (or use \`make stack\`, which does)"
  say "nginx"
  ensure_nginx
  say "PostgreSQL and Redis"
  ensure_postgresql
  ensure_redis
  settings
  ensure_database
  rm -rf "$STACK_DIR/prometheus" && mkdir -p "$STACK_DIR/prometheus" # fresh at each start (prometheus-client)

  say "starting the API workers: gunicorn, $STACK_API_WORKERS sync workers on 127.0.0.1:$STACK_API_PORT"
  # shellcheck disable=SC2046
  launch api "config/gunicorn_api.py" "$STACK_BIN/gunicorn" -c config/gunicorn_api.py -w "$STACK_API_WORKERS" \
    -b "127.0.0.1:$STACK_API_PORT" $(control api)
  local port
  for port in "${SOCKET_PORTS[@]}"; do
    say "starting a socket process: gunicorn, 1 gevent worker on 127.0.0.1:$port"
    # shellcheck disable=SC2046
    launch "socket-$port" "127.0.0.1:$port" "$STACK_BIN/gunicorn" -c config/gunicorn_socket.py \
      -b "127.0.0.1:$port" $(control "socket-$port")
  done
  say "starting the jobs process (flask --app wsgi jobs run)"
  launch jobs "jobs run" "$STACK_BIN/flask" --app wsgi jobs run

  say "waiting for each process to answer /healthz"
  await api "http://127.0.0.1:$STACK_API_PORT/healthz"
  note "API workers: up (pid $(pid_of api))"
  for port in "${SOCKET_PORTS[@]}"; do
    await "socket-$port" "http://127.0.0.1:$port/healthz"
    note "socket process 127.0.0.1:$port: up (pid $(pid_of "socket-$port"))"
  done
  alive jobs || { tail -n 30 "$LOGS/jobs.log" >&2; fail "the jobs process exited (log: $LOGS/jobs.log)"; }
  note "jobs process: running (pid $(pid_of jobs))"

  say "starting nginx on $STACK_HOST:$STACK_PORT (config $NGX/nginx.conf)"
  nginx_config
  rm -f "$NGX/nginx.pid"
  "$NGINX" -p "$NGX/" -c "$NGX/nginx.conf" -e "$LOGS/nginx-error.log" </dev/null >>"$LOGS/nginx-error.log" 2>&1
  for _ in $(seq 1 50); do [ -s "$NGX/nginx.pid" ] && break; sleep 0.1; done
  [ -s "$NGX/nginx.pid" ] || fail "nginx did not start (log: $LOGS/nginx-error.log)"
  cp "$NGX/nginx.pid" "$PIDS/nginx.pid"
  # Its command line, not its title: nginx writes the pid file before the master renames itself "nginx: master
  # process ...", so on a busy machine a check of the title could call a starting nginx dead.
  echo "-c $NGX/nginx.conf" >"$PIDS/nginx.cmd"
  await nginx "http://127.0.0.1:$STACK_PORT/readyz"
  note "through nginx: /readyz answers 200"
  trap - EXIT
  print_access
}

cmd_stop() {
  local name any=""
  [ -d "$PIDS" ] || { say "no stack in $STACK_DIR"; return 0; }
  for name in $(managed); do any=1; done
  [ -n "$any" ] || { say "the stack is not running (nothing in $PIDS)"; return 0; }
  say "stopping the stack in $STACK_DIR"
  terminate nginx # first: no new requests
  local rest=()
  for name in $(managed); do
    case $name in redis | postgresql | nginx) ;; *) rest+=("$name") ;; esac
  done
  [ ${#rest[@]} -eq 0 ] || terminate "${rest[@]}" # the socket processes, the API workers and the jobs, together
  if [ -f "$PIDS/redis.pid" ]; then
    note "stopping Redis (this script started it)"
    terminate redis
  fi
  if [ -f "$PIDS/postgresql.pid" ]; then
    local version
    version=$(cat "$PIDS/postgresql.version")
    note "stopping PostgreSQL $version (this script started it)"
    pg_ctlcluster --skip-systemctl-redirect "$version" main stop </dev/null >>"$LOGS/postgresql.log" 2>&1 || true
    rm -f "$PIDS/postgresql.pid" "$PIDS/postgresql.cmd" "$PIDS/postgresql.version"
  fi
  say "stopped"
}

cmd_status() {
  local name state up=0 down=0
  if [ -z "$(managed)" ]; then
    say "the stack is not running (nothing in $PIDS)"
    return 3
  fi
  for name in $(managed); do
    if alive "$name"; then
      state="running"
      up=$((up + 1))
    else
      state="NOT running"
      down=$((down + 1))
    fi
    printf '    %-14s pid %-8s %s\n' "$name" "$(pid_of "$name")" "$state"
  done
  if [ $down -gt 0 ]; then
    say "$down of $((up + down)) processes are not running: \`make stack-stop\`, then \`make stack\`"
    return 1
  fi
  print_access
}

case ${1:-} in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
*)
  echo "usage: scripts/stack.sh start|stop|status   (make stack / make stack-stop)" >&2
  exit 2
  ;;
esac
