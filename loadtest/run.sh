#!/usr/bin/env bash
# Benchmark scenarios: Portcullis side by side with nginx and HAProxy on this machine.
#
#   loadtest/run.sh http1        HTTP/1.1 over TLS, keep-alive, 1 KiB responses (see docs/benchmarks.md)
#   loadtest/run.sh h2           HTTP/2 over TLS (ALPN h2) from the client, HTTP/1.1 keep-alive to the backend (h2load)
#   loadtest/run.sh ws-idle      memory per idle WebSocket tunnel through the gateway
#   loadtest/run.sh fairness     bandwidth shared between 10 workspaces, one with 50 connections (docs/fairness.md)
#   loadtest/run.sh serve        the http1 stack without load (for manual runs and profiling)
#   loadtest/run.sh alloc        bytes allocated per request and GC pauses under load, this build beside older ones (ALLOC_BEFORE)
#   loadtest/run.sh access-cost  CPU (event loop's own, all threads) and bytes per request access control adds on a warm connection
#   loadtest/run.sh two-loops    the gateway with access on: two event loops on both cores vs one on one core, beside nginx
#   loadtest/run.sh profile      a CPU profile of one gateway under http1 or h2 load (async-profiler or JFR)
#   loadtest/run.sh route-churn  route propagation through the store (embedded and a local etcd), snapshot swap cost
#   loadtest/run.sh route-lookup one route lookup at 1k, 10k and 100k routes, one id again vs ids spread (JMH)
#   loadtest/run.sh gateway-start a gateway process's start time and heap with 0 and 100k routes in the store
#   loadtest/run.sh policy       the policy decision made on every request (JMH), as ratios to a share lookup
#   loadtest/run.sh access-check the whole access check of a request on a warm vs a cold connection (JMH)
#   loadtest/run.sh netns-churn  the host agent creating and deleting workspace networks (root), beside bare ip netns
#   loadtest/run.sh state-save   the host agent's save of its desired state at 10, 100 and 1000 workspaces (JMH)
#   loadtest/run.sh host-fairness an uplink shared by weight between 10 workspaces: the agent's tree vs one class (root, iperf3)
#
# Environment (defaults in brackets):
#   REPS [3]  DURATION [15] seconds per measured wrk run  WARMUP [5] seconds before each
#   JVM_WARMUP [60] seconds of load on the gateway before the first measurement, at least; longer
#     until the gateway has spent JVM_WARMUP_CPU [30] seconds of CPU (a busy machine gives it less
#     than its core, and the JIT compiles by work done, not by time), at most 4 x JVM_WARMUP
#   CONNECTIONS [32] wrk keep-alive connections  OPEN_RATE [2000] requests/s of the open-loop run
#   H2_CONNECTIONS [8] h2load connections  H2_STREAMS [16] concurrent streams per h2load connection
#   OPEN_DURATION [10] seconds  TUNNELS [2000] for ws-idle  JAVA_HOME  PORTCULLIS_JAVA_OPTS
#   GATEWAY_TARGET [cli/target] the gateway build to measure (the commands' jar and lib/)
#   ACCESS_LOG [off] on keeps the gateway's access log (nginx and HAProxy run without one)
#   ACCESS [off] on adds the target portcullis-access to http1 and h2: the gateway with access control on
#     (development issuer, a bearer token on every request, the policy decided per request)
#   JDK_TLS [on] off leaves out portcullis-jdk (the gateway with the JDK's TLS) in http1 and h2
#   AUDIT_LOG [on] off silences the gateways' audit log (one line per access decision)
#   CHANGES [1000] route changes measured by route-churn (after 200 warm-up ones)
#   ETCD_TABLE [20000] routes a fresh replica loads from etcd in route-churn
#   netns-churn: NETNS_WORKSPACES [100] created one at a time per round  NETNS_ROUNDS [2] (then 50 with the pool full before each)
#     NETNS_CONCURRENT [20] callers at once (5 rounds)  NETNS_FILL [1000] workspaces on the host at the end
#     NETNS_EGRESS_MBIT [100] each workspace's tc limit (0: none)  NETNS_DEFAULT_EGRESS_MBIT [0] the agent's
#     default limit (0: unlimited, so every create sets its own; = NETNS_EGRESS_MBIT: the spares carry it)
#     NETNS_SPARES [20] namespaces the agent keeps made ahead of demand (0: every create makes its own)
#     AGENT_JVM_OPTIONS [-XX:TieredStopAtLevel=1] the JVM options the launcher gives the agent, for
#     netns-churn, host-fairness and state-save too (set but empty: the JVM's default JIT, C1 and C2)
#   host-fairness: HOSTFAIR_UPLINK_MBIT [200] HOSTFAIR_RUNS [3] HOSTFAIR_SECONDS [15] measured per phase
#   fairness: FAIR_CAPACITY [200Mbit] FAIR_RUNS [3] FAIR_SECONDS [10] measured per phase, FAIR_JVM_WARMUP [20]
#   alloc: ALLOC_BEFORE [] older source trees (worktrees of older commits, built) measured beside this build
#     ALLOC_HEAP [256m] each gateway's fixed heap  ALLOC_LEAK_ROW [on] this build again with Netty's leak detector on
#   access-cost: ACCESS_COST_BEFORE [] older source trees measured beside this build  ACCESS_COST_LOADS [http1] (http1 h2)
#     ACCESS_COST_BEARER_TO_OPEN [on] off: the open gateway's requests carry no token (as in http1)
#     ACCESS_COST_TOGETHER [off] on loads the open and the access-on gateway at the same time (http1)
#     ACCESS_COST_CONNECT_WARMUP [15] seconds of warm-up with a new connection per request (0: none)
#     ACCESS_COST_PROFILE [off] alloc, cpu or itimer: first profiles each build's two gateways, loaded
#     together with the same requests, with async-profiler (ASYNC_PROFILER) for PROFILE_SECONDS [20]
#   GATEWAY_BEFORE [] http1 and h2 with ACCESS=on: older gateway builds (folders with portcullis-cli.jar and lib/)
#     run beside this one as portcullis-access-<folder name>, same options, same token check, same repetitions
#   BACKEND_PORT [28080] the backend's port  ALLOC_FIRST_PORT [28460] the first of the alloc and access-cost
#     gateways' ports (two per build): other values let two of those scenarios run at once on one machine
#
# Topology: the proxy under test is pinned to core 1; wrk, the open-loop client and the backend to
# core 0 (h2: h2load instead of wrk, no open loop). Every process started here is stopped by its pid when the script ends. Loopback only.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
WORK="$HERE/target/bench"
RESULTS="$HERE/results"
# The agent's JIT as the launchers run it (C1 only: ./portcullis, AGENT_JVM_OPTIONS), when not given.
AGENT_JIT="-XX:TieredStopAtLevel=1"
REPS=${REPS:-3}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-5}
JVM_WARMUP=${JVM_WARMUP:-60}
JVM_WARMUP_CPU=${JVM_WARMUP_CPU:-30}
CONNECTIONS=${CONNECTIONS:-32}
OPEN_RATE=${OPEN_RATE:-2000}
OPEN_DURATION=${OPEN_DURATION:-10}
TUNNELS=${TUNNELS:-2000}
H2_CONNECTIONS=${H2_CONNECTIONS:-8}
H2_STREAMS=${H2_STREAMS:-16}
BACKEND_PORT=${BACKEND_PORT:-28080}
NGINX_PORT=28443
HAPROXY_PORT=28444
PORTCULLIS_PORT=28445
PORTCULLIS_JDK_PORT=28446
PORTCULLIS_ACCESS_PORT=28450
BACKEND2_PORT=28082
NGINX2_PORT=28451
PORTCULLIS_ACCESS2_PORT=28452
ALLOC_FIRST_PORT=${ALLOC_FIRST_PORT:-28460}
DEMO_PORT=28081
ETCD_CLIENT_PORT=28379
ETCD_PEER_PORT=28380
CHANGES=${CHANGES:-1000}
ETCD_TABLE=${ETCD_TABLE:-20000}
FAIR_PORT=28447
FAIR_OFF_PORT=28448
FAIR_UNBOUNDED_PORT=28449
HOST_HEADER="$BACKEND_PORT-bench.ws.localhost"
PROXY_CORE=1
CLIENT_CORE=0
# Per-target exceptions to the topology above (the two-loops scenario's two-core targets).
declare -A WRK_CORES=() WRK_THREADS=() HOST_OF=() BACKEND_OF=() PORT_OF=() TOKEN_OF=()
BEFORE_TARGETS=()

die() { echo "run.sh: $*" >&2; exit 1; }
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

find_java() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then echo "$JAVA_HOME"; return; fi
  local home
  for home in /usr/lib/jvm/temurin-25* /usr/lib/jvm/*; do
    [ -x "$home/bin/javac" ] && grep -qE '^JAVA_VERSION="(2[1-9]|[3-9][0-9])' "$home/release" 2>/dev/null \
      && { echo "$home"; return; }
  done
  die "no JDK >= 21 under /usr/lib/jvm; set JAVA_HOME"
}
JAVA_HOME="$(find_java)"; export JAVA_HOME
JAVA="$JAVA_HOME/bin/java"

# What ./portcullis passes to the gateway's JVM (see the launcher), for runs that do not go through it.
default_jvm_options() {
  local major
  major=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$JAVA_HOME/release")
  echo "--enable-native-access=ALL-UNNAMED"
  if [ "${major:-0}" -ge 23 ]; then echo "--sun-misc-unsafe-memory-access=allow"; fi
  echo "-Dio.netty.leakDetection.level=disabled"
}

# Every server started here may hold thousands of sockets (ws-idle); root may raise its own limit.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

STARTED=()
cleanup() {
  local pid
  for pid in "${STARTED[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${STARTED[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need() { command -v "$1" >/dev/null || die "$1 is missing: apt-get install -y nginx haproxy wrk"; }

# Every process of a pid tree (nginx: master and worker), so CPU time counts them all.
pid_tree() {
  local pid="$1" child
  echo "$pid"
  for child in $(pgrep -P "$pid" || true); do pid_tree "$child"; done
}

# "utime stime" in clock ticks of a pid tree, from /proc/<pid>/stat (fields 14 and 15).
cpu_split() {
  local user=0 sys=0 pid u st
  for pid in $(pid_tree "$1"); do
    read -r u st < <(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12, $13}') || true
    user=$((user + ${u:-0})); sys=$((sys + ${st:-0}))
  done
  echo "$user $sys"
}
cpu_ticks() { local u st; read -r u st < <(cpu_split "$1"); echo $((u + st)); }
TICK_US=$((1000000 / $(getconf CLK_TCK)))
# One core's busy and total ticks from /proc/stat ("busy total"); core_busy prints the busy share between two readings.
core_ticks() { awk -v c="cpu$1" '$1 == c { busy = $2 + $3 + $4 + $7 + $8 + $9; print busy, busy + $5 + $6 }' /proc/stat; }
core_busy() { # "busy total" before, "busy total" after
  local b0 t0 b1 t1; read -r b0 t0 <<<"$1"; read -r b1 t1 <<<"$2"
  awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.2f", (t > 0 ? b / t : 0) }'
}

wait_port() {
  local port="$1" i
  for i in $(seq 1 150); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  die "nothing listens on 127.0.0.1:$port after 15 s"
}

render() { # template output [extra sed expressions...]
  local template="$1" output="$2"; shift 2
  sed "$@" -e "s|@WORK@|$WORK|g" -e "s|@BACKEND_PORT@|$BACKEND_PORT|g" -e "s|@NGINX_PORT@|$NGINX_PORT|g" \
      -e "s|@HAPROXY_PORT@|$HAPROXY_PORT|g" -e "s|@PORTCULLIS_PORT@|$PORTCULLIS_PORT|g" \
      -e "s|@TLS_PROVIDER@|auto|g" "$HERE/conf/$template" > "$WORK/$output"
}

# A test CA and one server certificate (*.ws.localhost and 127.0.0.1) that all three proxies serve.
make_tls() {
  local dir="$WORK/tls"
  [ -f "$dir/haproxy.pem" ] && return 0
  mkdir -p "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=Portcullis bench CA" \
    -keyout "$dir/ca-key.pem" -out "$dir/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=ws.localhost" \
    -keyout "$dir/server-key.pem" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:*.ws.localhost,DNS:ws.localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$dir/ext.cnf"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" -CAcreateserial -days 30 \
    -extfile "$dir/ext.cnf" -out "$dir/server.pem" 2>/dev/null
  cat "$dir/server.pem" "$dir/server-key.pem" > "$dir/haproxy.pem"
}

# The gateway build measured is a copy taken now, so a concurrent rebuild of gateway/ cannot change it mid-run.
snapshot_gateway() {
  local target="${GATEWAY_TARGET:-$ROOT/cli/target}"
  [ -f "$target/portcullis-cli.jar" ] && [ -d "$target/lib" ] \
    || die "cli/target is missing: run ./portcullis build (or mvn -pl cli -am -DskipTests package)"
  rm -rf "$WORK/gateway"; mkdir -p "$WORK/gateway"
  cp -rp "$target/portcullis-cli.jar" "$target/lib" "$WORK/gateway/"
}

# Builds loadtest/ (and what it uses, Maven's -am) when stale, as the launcher's build_is_stale judges:
# when the jar, lib/ or target/classpath.txt is missing, or the root pom, or a pom or main source of
# loadtest/ or of a project module on that list (Maven's answer, written by the build) is newer than
# the jar. No module list is kept here.
loadtest_built() {
  local target="$HERE/target" jar="$HERE/target/portcullis-loadtest.jar" stale=0 dirs=("$HERE") entry
  if [ -f "$jar" ] && [ -d "$target/lib" ] && [ -f "$target/classpath.txt" ] && [ ! "$ROOT/pom.xml" -nt "$jar" ]; then
    while IFS= read -r entry; do
      case "$entry" in "$ROOT"/*/target/*.jar) dirs+=("${entry%/target/*}") ;; esac
    done < <(tr ':' '\n' < "$target/classpath.txt")
    for entry in "${dirs[@]}"; do
      [ -n "$(find "$entry/pom.xml" "$entry/src/main" -type f -newer "$jar" -print -quit 2>/dev/null)" ] && stale=1
    done
  else
    stale=1
  fi
  if [ "$stale" = 1 ]; then
    log "building loadtest/ ..."
    local mvn="${PORTCULLIS_MVN:-$ROOT/.tools/apache-maven-3.9.16/bin/mvn}"
    [ -x "$mvn" ] || mvn="$(command -v mvn)"
    (cd "$ROOT" && "$mvn" -B -q -pl loadtest -am -DskipTests package) >&2 || die "building loadtest/ failed"
    # The jar plugin keeps a jar whose own classes did not change; mark it as checked against its inputs.
    touch "$jar"
  fi
}
loadtest_java() { "$JAVA" -cp "$HERE/target/portcullis-loadtest.jar:$HERE/target/lib/*" "$@"; }

start_pinned() { # core name command...: starts a process pinned to a core; its pid is in LAST_PID
  local core="$1" name="$2"; shift 2
  taskset -c "$core" "$@" >"$WORK/$name.out" 2>&1 &
  LAST_PID=$!
  STARTED+=("$LAST_PID")
}

# A leftover server on one of our ports would be measured instead of ours: refuse to start.
ports_free() {
  local port
  for port in "$@"; do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && die "127.0.0.1:$port is already in use (an earlier run still stopping?)"
  done
  return 0
}

start_backend() { # [own-ports: the caller checked its gateways' ports, so another scenario's proxies may run]
  if [ "${1:-}" = own-ports ]; then ports_free $BACKEND_PORT
  else ports_free $BACKEND_PORT $NGINX_PORT $HAPROXY_PORT $PORTCULLIS_PORT $PORTCULLIS_JDK_PORT $DEMO_PORT; fi
  mkdir -p "$WORK/www" "$WORK/nginx-backend/tmp"
  head -c 1024 /dev/zero | tr '\0' 'x' > "$WORK/www/1k"
  render nginx-backend.conf nginx-backend.conf
  start_pinned $CLIENT_CORE nginx-backend nginx -e "$WORK/nginx-backend/error.log" -c "$WORK/nginx-backend.conf"
  BACKEND_PID=$LAST_PID
  wait_port $BACKEND_PORT
}

# Portcullis as configured by the config file, on one port, with the given TLS provider.
start_portcullis() { # target port tls-provider [render-done: keep the config already in $WORK]
  [ "${4:-}" = render-done ] || render portcullis.yaml "$1.yaml" -e "s|@PORTCULLIS_PORT@|$2|g" -e "s|@TLS_PROVIDER@|$3|g"
  local logging="-Dlogback.configurationFile=$HERE/conf/logback-bench.xml"
  if [ "${AUDIT_LOG:-on}" = off ]; then
    # Without the audit log: what the access check itself costs, apart from writing a line per request.
    sed 's|<logger name="portcullis.access" level="OFF"/>|&\n  <logger name="portcullis.audit" level="OFF"/>|' \
      "$HERE/conf/logback-bench.xml" > "$WORK/logback-bench-no-audit.xml"
    logging="-Dlogback.configurationFile=$WORK/logback-bench-no-audit.xml"
  fi
  [ "${ACCESS_LOG:-off}" = on ] && logging=""
  # shellcheck disable=SC2086 # PORTCULLIS_JAVA_OPTS is a list of options
  # JVM_OPTIONS: the launcher's own JVM options when run as ./portcullis loadtest (the same flags as
  # ./portcullis gateway); run directly, the same defaults apply.
  # shellcheck disable=SC2086 # option lists are words
  start_pinned $PROXY_CORE "$1" "$JAVA" ${JVM_OPTIONS:-$(default_jvm_options)} $logging ${PORTCULLIS_JAVA_OPTS:-} \
    -cp "$WORK/gateway/portcullis-cli.jar:$WORK/gateway/lib/*" dev.portcullis.cli.PortcullisCli \
    gateway --config "$WORK/$1.yaml"
  PIDS[$1]=$LAST_PID
}

start_proxies() { # [h2]: nginx and HAProxy also offer h2 by ALPN (Portcullis always does)
  mkdir -p "$WORK/nginx-proxy/tmp" "$WORK/nginx-proxy/tmp-proxy"
  if [ "${1:-}" = h2 ]; then
    # nginx 1.22 syntax (`listen ... ssl http2;`); HAProxy offers h2 first, as nginx and Portcullis do.
    render nginx-proxy.conf nginx-proxy.conf -e 's|^\( *listen .*\) ssl;|\1 ssl http2;|'
    render haproxy.cfg haproxy.cfg -e 's|alpn http/1.1|alpn h2,http/1.1|'
  else
    render nginx-proxy.conf nginx-proxy.conf
    render haproxy.cfg haproxy.cfg
  fi
  start_pinned $PROXY_CORE nginx-proxy nginx -e "$WORK/nginx-proxy/error.log" -c "$WORK/nginx-proxy.conf"
  PIDS[nginx]=$LAST_PID
  start_pinned $PROXY_CORE haproxy haproxy -db -f "$WORK/haproxy.cfg"
  PIDS[haproxy]=$LAST_PID
  start_portcullis portcullis $PORTCULLIS_PORT auto
  wait_port $NGINX_PORT; wait_port $HAPROXY_PORT; wait_port $PORTCULLIS_PORT
  if [ "${JDK_TLS:-on}" = on ]; then
    # The same gateway with the JDK's TLS, to show what the TLS provider is worth.
    start_portcullis portcullis-jdk $PORTCULLIS_JDK_PORT jdk
    wait_port $PORTCULLIS_JDK_PORT
  fi
  if [ "${ACCESS:-off}" = on ]; then start_portcullis_with_access; fi
}
# The gateway as it runs for real: identity on (the development issuer, its key made at start),
# the bench workspace owned by the user whose token every request carries, the policy decided on
# every request. Everything else as the portcullis target.
start_portcullis_with_access() {
  render portcullis.yaml portcullis-access.yaml -e "s|@PORTCULLIS_PORT@|$PORTCULLIS_ACCESS_PORT|g" \
    -e "s|^insecureOpenAccess: true|identity: {developmentIssuer: {stateDirectory: $WORK/access-state/issuer}}|" \
    -e 's|^    address: 127.0.0.1$|    address: 127.0.0.1\n    owner: bench|'
  start_portcullis portcullis-access $PORTCULLIS_ACCESS_PORT auto render-done
  wait_port $PORTCULLIS_ACCESS_PORT
  ACCESS_TOKEN=$("$JAVA" -cp "$WORK/gateway/portcullis-cli.jar:$WORK/gateway/lib/*" \
    dev.portcullis.cli.PortcullisCli token --user bench --ttl 2h --state-dir "$WORK/access-state")
}

url_of() {
  case "$1" in
    direct) echo "http://127.0.0.1:$BACKEND_PORT/1k" ;;
    nginx) echo "https://127.0.0.1:$NGINX_PORT/1k" ;;
    haproxy) echo "https://127.0.0.1:$HAPROXY_PORT/1k" ;;
    portcullis) echo "https://127.0.0.1:$PORTCULLIS_PORT/1k" ;;
    portcullis-jdk) echo "https://127.0.0.1:$PORTCULLIS_JDK_PORT/1k" ;;
    portcullis-access) echo "https://127.0.0.1:$PORTCULLIS_ACCESS_PORT/1k" ;;
    nginx-2-workers) echo "https://127.0.0.1:$NGINX2_PORT/1k" ;;
    portcullis-access-2-loops) echo "https://127.0.0.1:$PORTCULLIS_ACCESS2_PORT/1k" ;;
    *) echo "https://127.0.0.1:${PORT_OF[$1]}/1k" ;; # the alloc scenario's gateways
  esac
}

wrk_load() { # target seconds
  local auth=() # the access-control targets' requests carry the token (access-cost: the open gateway's as well)
  if [[ "$1" == portcullis-access* || "${BEARER_TO_OPEN:-off}" = on ]]; then auth=(-H "Authorization: Bearer $ACCESS_TOKEN"); fi
  taskset -c "${WRK_CORES[$1]:-$CLIENT_CORE}" wrk -t"${WRK_THREADS[$1]:-1}" -c"$CONNECTIONS" -d"$2s" --latency \
    -s "$HERE/conf/wrk-report.lua" -H "Host: ${HOST_OF[$1]:-$HOST_HEADER}" "${auth[@]}" "$(url_of "$1")"
}

# The JIT's warm-up of one gateway: JVM_WARMUP seconds of load, then more in 10 s runs until the
# gateway has spent JVM_WARMUP_CPU seconds of CPU since it started (or 4 x JVM_WARMUP passed).
warm_jit() { # target load-function
  local target="$1" load="$2" pid="${PIDS[$1]}" waited
  "$load" "$target" "$JVM_WARMUP" >/dev/null
  for ((waited = JVM_WARMUP; waited < 4 * JVM_WARMUP; waited += 10)); do
    (( $(cpu_ticks "$pid") * TICK_US >= JVM_WARMUP_CPU * 1000000 )) && break
    "$load" "$target" 10 >/dev/null
  done
  log "  $target warmed: $(( $(cpu_ticks "$pid") * TICK_US / 1000000 )) s of CPU after ${waited}s of load"
}

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<" $2" | head -n1; }

# One measured closed-loop run: wrk's numbers plus the CPU time the proxy and the backend spent.
measure_closed() { # rep target
  local rep="$1" target="$2" pid="${PIDS[$2]}" out backend="${BACKEND_OF[$2]:-$BACKEND_PID}"
  wrk_load "$target" "$WARMUP" >/dev/null
  local u0 s0 b0 c0 c1; read -r u0 s0 < <(cpu_split "$pid"); b0=$(cpu_ticks "$backend"); c0=$(core_ticks $CLIENT_CORE); c1=$(core_ticks $PROXY_CORE)
  out=$(wrk_load "$target" "$DURATION" | grep WRK_RESULT) || die "wrk failed against $target"
  local u1 s1 b1; read -r u1 s1 < <(cpu_split "$pid"); b1=$(cpu_ticks "$backend")
  # How busy each core was (by anything on it), to tell a proxy that waits from one that is saturated.
  local busy0 busy1; busy0=$(core_busy "$c0" "$(core_ticks $CLIENT_CORE)"); busy1=$(core_busy "$c1" "$(core_ticks $PROXY_CORE)")
  local p0=$((u0 + s0)) p1=$((u1 + s1))
  local n; n=$(field requests "$out")
  [ "${n:-0}" -gt 0 ] || die "no request completed against $target"
  local dur; dur=$(field duration_us "$out")
  local cpu=$(( (p1 - p0) * TICK_US )) bcpu=$(( (b1 - b0) * TICK_US ))
  local errors=$(( $(field socket_errors "$out") + $(field non2xx "$out") ))
  printf '%s\t%s\tclosed\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$target" \
    "$(awk -v n="$n" -v d="$dur" 'BEGIN{printf "%.0f", n*1e6/d}')" "$(field p50_us "$out")" "$(field p99_us "$out")" \
    "$(awk -v c="$cpu" -v n="$n" 'BEGIN{printf "%.2f", c/n}')" "$(awk -v c="$bcpu" -v n="$n" 'BEGIN{printf "%.2f", c/n}')" \
    "$n" "$errors" "$(field p90_us "$out")" "$(field p999_us "$out")" \
    "$(awk -v c="$(( (u1 - u0) * TICK_US ))" -v n="$n" 'BEGIN{printf "%.2f", c/n}')" \
    "$(awk -v c="$(( (s1 - s0) * TICK_US ))" -v n="$n" 'BEGIN{printf "%.2f", c/n}')" \
    "$(field mean_us "$out")" "$(field max_us "$out")" "$busy0" "$busy1" \
    "$(awk -v c="$(( (p1 - p0) * TICK_US ))" -v d="$dur" 'BEGIN{printf "%.3f", c/d}')" >> "$SAMPLES"
  log "  $target: $(tail -n1 "$SAMPLES" | cut -f4-7 | tr '\t' ' ') (rps p50us p99us cpu_us/req)"
}

# h2load over h2 (ALPN; no SNI to 127.0.0.1, as with wrk), :authority overridden so the gateway routes it.
h2load_run() { # target seconds [log file]
  local log=() auth=()
  [ -n "${3:-}" ] && log=(--log-file "$3")
  if [[ "$1" == portcullis-access* || "${BEARER_TO_OPEN:-off}" = on ]]; then auth=(-H "authorization: Bearer $ACCESS_TOKEN"); fi
  taskset -c $CLIENT_CORE h2load -t1 -c"$H2_CONNECTIONS" -m"$H2_STREAMS" -D"$2" -H ":authority: $HOST_HEADER" \
    "${auth[@]}" "${log[@]}" "$(url_of "$1")"
}

# One measured h2 run: h2load's numbers (percentiles from its per-request log) plus the CPU time spent.
measure_h2() { # rep target
  local rep="$1" target="$2" pid="${PIDS[$2]}" out
  h2load_run "$target" "$WARMUP" >/dev/null
  rm -f "$WORK/h2load.log"
  local u0 s0 b0; read -r u0 s0 < <(cpu_split "$pid"); b0=$(cpu_ticks "$BACKEND_PID")
  h2load_run "$target" "$DURATION" "$WORK/h2load.log" > "$WORK/h2load-$target-$rep.out" || die "h2load failed against $target"
  local u1 s1 b1; read -r u1 s1 < <(cpu_split "$pid"); b1=$(cpu_ticks "$BACKEND_PID")
  out=$(taskset -c $CLIENT_CORE "$JAVA" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
      -cp "$HERE/target/portcullis-loadtest.jar:$HERE/target/lib/*" dev.portcullis.loadtest.H2loadResult \
      --stdout "$WORK/h2load-$target-$rep.out" --log "$WORK/h2load.log" | grep H2_RESULT) \
    || die "cannot read h2load's output against $target: $WORK/h2load-$target-$rep.out"
  local p0=$((u0 + s0)) p1=$((u1 + s1))
  local n; n=$(field requests "$out")
  [ "${n:-0}" -gt 0 ] || die "no request completed against $target"
  local cpu=$(( (p1 - p0) * TICK_US )) bcpu=$(( (b1 - b0) * TICK_US ))
  # failed counts the errored streams and the non-2xx answers
  printf '%s\t%s\tclosed\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$target" \
    "$(awk -v r="$(field rps "$out")" 'BEGIN{printf "%.0f", r}')" "$(field p50_us "$out")" "$(field p99_us "$out")" \
    "$(awk -v c="$cpu" -v n="$n" 'BEGIN{printf "%.2f", c/n}')" "$(awk -v c="$bcpu" -v n="$n" 'BEGIN{printf "%.2f", c/n}')" \
    "$n" "$(field failed "$out")" "$(field p90_us "$out")" "$(field p999_us "$out")" \
    "$(awk -v c="$(( (u1 - u0) * TICK_US ))" -v n="$n" 'BEGIN{printf "%.2f", c/n}')" \
    "$(awk -v c="$(( (s1 - s0) * TICK_US ))" -v n="$n" 'BEGIN{printf "%.2f", c/n}')" \
    "$(field mean_us "$out")" "$(field logged "$out")" >> "$SAMPLES"
  log "  $target: $(tail -n1 "$SAMPLES" | cut -f4-7 | tr '\t' ' ') (rps p50us p99us cpu_us/req), mean $(field mean_us "$out") us"
}

# The open-loop client at OPEN_RATE for a number of seconds (its OPEN_RESULT line on stdout).
open_load() { # target seconds
  local auth=()
  if [[ "$1" == portcullis-access* ]]; then auth=(--header "Authorization: Bearer $ACCESS_TOKEN"); fi
  taskset -c $CLIENT_CORE "$JAVA" -XX:+UseSerialGC -cp "$HERE/target/portcullis-loadtest.jar:$HERE/target/lib/*" \
    dev.portcullis.loadtest.OpenLoopClient --url "$(url_of "$1")" --host "$HOST_HEADER" "${auth[@]}" \
    --ca "$WORK/tls/ca.pem" --rate "$OPEN_RATE" --connections 16 --warmup 3 --seconds "$2" | grep OPEN_RESULT
}

# One open-loop run at a fixed rate: latency measured from each request's intended send time.
measure_open() { # rep target
  local rep="$1" target="$2" pid="${PIDS[$2]}" out
  local p0; p0=$(cpu_ticks "$pid")
  out=$(open_load "$target" "$OPEN_DURATION") || die "the open-loop client failed against $target"
  local p1; p1=$(cpu_ticks "$pid")
  local n; n=$(field completed "$out")
  local all; all=$(field all_completed "$out")
  printf '%s\t%s\topen\t%s\t%s\t%s\t%s\t\t%s\t%s\t%s\t%s\n' "$rep" "$target" "$(field achieved_rps "$out")" \
    "$(field p50_us "$out")" "$(field p99_us "$out")" \
    "$(awk -v c="$(( (p1 - p0) * TICK_US ))" -v n="$all" 'BEGIN{printf "%.2f", (n > 0) ? c / n : 0}')" \
    "$n" "$(field errors "$out")" "$(field p90_us "$out")" "$(field p999_us "$out")" >> "$SAMPLES"
  log "  $target open loop @${OPEN_RATE}/s: $(tail -n1 "$SAMPLES" | cut -f4-7 | tr '\t' ' ') (rps p50us p99us cpu_us/req)"
}

# GATEWAY_BEFORE: older builds beside this one, each started as portcullis-access-<folder name> with
# the JVM options of the current one and no fixed heap (as portcullis-access runs); their names go to BEFORE_TARGETS.
start_gateways_before() {
  local dir label port=$ALLOC_FIRST_PORT
  BEFORE_TARGETS=()
  [ -z "${GATEWAY_BEFORE:-}${GATEWAY_TRANSPORTS:-}" ] && return 0
  [ "${ACCESS:-off}" = on ] || die "GATEWAY_BEFORE and GATEWAY_TRANSPORTS compare access-on gateways: set ACCESS=on"
  for dir in ${GATEWAY_BEFORE:-}; do
    label=$(basename "$dir")
    alloc_snapshot "$label" "$dir"
    ports_free $port
    start_alloc_gateway "portcullis-access-$label" $port "$label" on "$(echo ${JVM_OPTIONS:-$(default_jvm_options)})" ""
    BEFORE_TARGETS+=("portcullis-access-$label")
    port=$((port + 1))
  done
  # GATEWAY_TRANSPORTS: this build again, access on, on each transport named (io_uring, epoll, nio), as
  # portcullis-access-<transport> beside the rest (the portcullis targets run transport: auto).
  local transport
  [ -n "${GATEWAY_TRANSPORTS:-}" ] && alloc_snapshot this-build "$WORK/gateway"
  for transport in ${GATEWAY_TRANSPORTS:-}; do
    case "$transport" in io_uring|epoll|nio) ;; *) die "GATEWAY_TRANSPORTS: '$transport' (expected: io_uring, epoll or nio)" ;; esac
    ports_free $port
    start_alloc_gateway "portcullis-access-$transport" $port this-build on "$(echo ${JVM_OPTIONS:-$(default_jvm_options)})" "" "$transport"
    BEFORE_TARGETS+=("portcullis-access-$transport")
    port=$((port + 1))
  done
}

# Measures one target with its own bearer token (the gateways before each have an issuer of their own).
with_token_of() { # target command [args...]
  local saved=${ACCESS_TOKEN:-}
  ACCESS_TOKEN=${TOKEN_OF[$1]:-$saved}
  "${@:2}"
  ACCESS_TOKEN=$saved
}

scenario_http1() {
  need nginx; need haproxy; need wrk; need taskset; need openssl
  [ "$(nproc)" -ge 2 ] || die "needs 2 cores (one for the proxy, one for the client and backend)"
  mkdir -p "$WORK" "$RESULTS"
  make_tls; snapshot_gateway; loadtest_built
  declare -gA PIDS
  start_backend
  PIDS[direct]=$BACKEND_PID
  start_proxies
  local stamp; stamp=$(date -u +%Y%m%dT%H%M%SZ)
  SAMPLES="$RESULTS/http1-$stamp.samples.tsv"
  printf 'rep\ttarget\tmode\trps\tp50_us\tp99_us\tcpu_us_per_req\tbackend_cpu_us_per_req\trequests\terrors\tp90_us\tp999_us\tuser_us_per_req\tsys_us_per_req\tmean_us\tmax_us\tclient_core_busy\tproxy_core_busy\tproxy_cores_used\n' > "$SAMPLES"
  local target gateways=(portcullis)
  if [ "${JDK_TLS:-on}" = on ]; then gateways+=(portcullis-jdk); fi
  if [ "${ACCESS:-off}" = on ]; then gateways+=(portcullis-access); fi
  start_gateways_before
  for target in nginx haproxy "${gateways[@]}"; do
    local auth=()
    if [ "$target" = portcullis-access ]; then auth=(-H "Authorization: Bearer $ACCESS_TOKEN"); fi
    curl -sk -o /dev/null -w "%{http_code}" -H "Host: $HOST_HEADER" "${auth[@]}" "$(url_of "$target")" | grep -q 200 \
      || die "$target does not answer 200 on $(url_of "$target"); see $WORK/*.out"
  done
  gateways+=("${BEFORE_TARGETS[@]}")
  log "warming the gateways' JIT: ${JVM_WARMUP}s of load each"
  for target in "${gateways[@]}"; do with_token_of "$target" warm_jit "$target" wrk_load; done
  local rep order targets=(direct nginx haproxy "${gateways[@]}")
  for rep in $(seq 1 "$REPS"); do
    # The order rotates so that no target always runs first (after an idle spell) or last.
    local shift=$(( (rep - 1) % ${#targets[@]} ))
    order="${targets[*]:shift} ${targets[*]:0:shift}"
    log "repetition $rep/$REPS (closed loop: wrk -t1 -c$CONNECTIONS -d${DURATION}s, then open loop at ${OPEN_RATE}/s)"
    for target in $order; do with_token_of "$target" measure_closed "$rep" "$target"; done
    for target in $order; do with_token_of "$target" measure_open "$rep" "$target"; done
  done
  local json="$RESULTS/http1-$stamp.json"
  loadtest_java dev.portcullis.loadtest.BenchReport --samples "$SAMPLES" --out "$json" \
    --meta "scenario=http1" --meta "date=$stamp" --meta "cpu=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)" \
    --meta "cores=$(nproc)" --meta "kernel=$(uname -r)" --meta "nginx=$(nginx -v 2>&1 | sed 's/.*\///')" \
    --meta "haproxy=$(haproxy -v | head -n1 | awk '{print $3}')" --meta "java=$("$JAVA" -version 2>&1 | head -n1)" \
    --meta "portcullis_log=$(grep -E 'Transport|TLS|tls' "$WORK/portcullis.out" | sed 's/^[0-9:.]* INFO  //' | tr '\n' ';')" \
    --meta "portcullis_jdk_log=$(grep -sE 'TLS|tls' "$WORK/portcullis-jdk.out" | sed 's/^[0-9:.]* INFO  //' | tr '\n' ';')" \
    --meta "gateway_before=${GATEWAY_BEFORE:-}" --meta "gateway_transports=${GATEWAY_TRANSPORTS:-}" \
    --meta "command=ACCESS=${ACCESS:-off} AUDIT_LOG=${AUDIT_LOG:-on} REPS=$REPS DURATION=$DURATION JVM_WARMUP=$JVM_WARMUP JVM_WARMUP_CPU=$JVM_WARMUP_CPU CONNECTIONS=$CONNECTIONS OPEN_RATE=$OPEN_RATE loadtest/run.sh http1" \
    --meta "gateway_build=${GATEWAY_TARGET:-cli/target}/portcullis-cli.jar of $(date -u -r "$WORK/gateway/portcullis-cli.jar" +%Y-%m-%dT%H:%M:%SZ), git HEAD $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown) (working tree may differ)" \
    --meta "access_log=${ACCESS_LOG:-off}" --meta "access_control_target=${ACCESS:-off}" --meta "audit_log=${AUDIT_LOG:-on}" \
    --meta "load_average_after=$(cut -d' ' -f1-3 /proc/loadavg)"
}

scenario_h2() {
  need nginx; need haproxy; need taskset; need openssl
  command -v h2load >/dev/null || die "h2load is missing: apt-get install -y nghttp2-client"
  [ "$(nproc)" -ge 2 ] || die "needs 2 cores (one for the proxy, one for the client and backend)"
  mkdir -p "$WORK" "$RESULTS"
  make_tls; snapshot_gateway; loadtest_built
  declare -gA PIDS
  start_backend
  start_proxies h2
  local stamp; stamp=$(date -u +%Y%m%dT%H%M%SZ)
  SAMPLES="$RESULTS/h2-$stamp.samples.tsv"
  printf 'rep\ttarget\tmode\trps\tp50_us\tp99_us\tcpu_us_per_req\tbackend_cpu_us_per_req\trequests\terrors\tp90_us\tp999_us\tuser_us_per_req\tsys_us_per_req\tmean_us\tlogged\n' > "$SAMPLES"
  local target check targets=(nginx haproxy portcullis) gateways=(portcullis)
  if [ "${JDK_TLS:-on}" = on ]; then targets+=(portcullis-jdk); gateways+=(portcullis-jdk); fi
  if [ "${ACCESS:-off}" = on ]; then targets+=(portcullis-access); gateways+=(portcullis-access); fi
  start_gateways_before
  targets+=("${BEFORE_TARGETS[@]}"); gateways+=("${BEFORE_TARGETS[@]}")
  # Every target must negotiate h2 and answer 2xx, or it would be measured on something else.
  for target in "${targets[@]}"; do
    local auth=()
    if [[ "$target" == portcullis-access* ]]; then auth=(-H "authorization: Bearer ${TOKEN_OF[$target]:-$ACCESS_TOKEN}"); fi
    check=$(taskset -c $CLIENT_CORE h2load -n 20 -c 1 -m 4 -H ":authority: $HOST_HEADER" "${auth[@]}" "$(url_of "$target")" 2>&1) || true
    grep -q 'Application protocol: h2$' <<<"$check" && grep -q ' 20 succeeded, 0 failed' <<<"$check" \
      || die "$target does not answer 2xx over h2 on $(url_of "$target"): $(grep -E 'protocol|requests:|status' <<<"$check" | tr '\n' ' '); see $WORK/*.out"
  done
  log "warming the gateways' JIT: ${JVM_WARMUP}s of h2 load each"
  for target in "${gateways[@]}"; do with_token_of "$target" warm_jit "$target" h2load_run; done
  local rep order
  for rep in $(seq 1 "$REPS"); do
    local shift=$(( (rep - 1) % ${#targets[@]} ))
    order="${targets[*]:shift} ${targets[*]:0:shift}"
    log "repetition $rep/$REPS (h2load -t1 -c$H2_CONNECTIONS -m$H2_STREAMS -D$DURATION)"
    for target in $order; do with_token_of "$target" measure_h2 "$rep" "$target"; done
  done
  local json="$RESULTS/h2-$stamp.json"
  loadtest_java dev.portcullis.loadtest.BenchReport --samples "$SAMPLES" --out "$json" --load-generator h2load \
    --meta "scenario=h2" --meta "date=$stamp" --meta "cpu=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)" \
    --meta "cores=$(nproc)" --meta "kernel=$(uname -r)" --meta "nginx=$(nginx -v 2>&1 | sed 's/.*\///')" \
    --meta "haproxy=$(haproxy -v | head -n1 | awk '{print $3}')" --meta "java=$("$JAVA" -version 2>&1 | head -n1)" \
    --meta "h2load=$(h2load --version | head -n1)" \
    --meta "portcullis_log=$(grep -E 'Transport|TLS|tls' "$WORK/portcullis.out" | sed 's/^[0-9:.]* INFO  //' | tr '\n' ';')" \
    --meta "portcullis_jdk_log=$(grep -sE 'TLS|tls' "$WORK/portcullis-jdk.out" | sed 's/^[0-9:.]* INFO  //' | tr '\n' ';')" \
    --meta "gateway_before=${GATEWAY_BEFORE:-}" \
    --meta "command=ACCESS=${ACCESS:-off} REPS=$REPS DURATION=$DURATION WARMUP=$WARMUP JVM_WARMUP=$JVM_WARMUP JVM_WARMUP_CPU=$JVM_WARMUP_CPU H2_CONNECTIONS=$H2_CONNECTIONS H2_STREAMS=$H2_STREAMS loadtest/run.sh h2" \
    --meta "access_control_target=${ACCESS:-off}" --meta "audit_log=${AUDIT_LOG:-on}" \
    --meta "gateway_build=${GATEWAY_TARGET:-cli/target}/portcullis-cli.jar of $(date -u -r "$WORK/gateway/portcullis-cli.jar" +%Y-%m-%dT%H:%M:%SZ), git HEAD $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown) (working tree may differ)" \
    --meta "access_log=${ACCESS_LOG:-off}" \
    --meta "load_average_after=$(cut -d' ' -f1-3 /proc/loadavg)"
}

# The http1 stack without load, for manual runs and profiling; stops after SERVE_SECONDS [600].
scenario_serve() {
  need nginx; need haproxy; need taskset; need openssl
  mkdir -p "$WORK" "$RESULTS"
  make_tls; snapshot_gateway
  declare -gA PIDS
  start_backend
  start_proxies
  log "serving: backend :$BACKEND_PORT, nginx :$NGINX_PORT, haproxy :$HAPROXY_PORT, portcullis :$PORTCULLIS_PORT (pid ${PIDS[portcullis]}), Host $HOST_HEADER"
  sleep "${SERVE_SECONDS:-600}"
}

# A CPU profile of one gateway under load: async-profiler when ASYNC_PROFILER names its
# libasyncProfiler.so (the jar tools.profiler:async-profiler holds one per platform), else JFR.
# PROFILE_TARGET [portcullis-access] (portcullis, portcullis-jdk), PROFILE_LOAD [http1] (h2; open: http1's
# fixed-rate client at OPEN_RATE, where every request wakes the event loop alone),
# PROFILE_SECONDS [20], PROFILE_EVENT [cpu] (alloc: where the heap is allocated); after JVM_WARMUP of the same load. Writes loadtest/results/profile-<time>.*:
# a flame graph (.html) and the folded stacks (.collapsed) with async-profiler, a .jfr with JFR.
scenario_profile() {
  need nginx; need wrk; need taskset; need openssl
  local target=${PROFILE_TARGET:-portcullis-access} load=${PROFILE_LOAD:-http1} seconds=${PROFILE_SECONDS:-20} load_fn
  # PROFILE_EVENT [cpu]: alloc samples where the heap is allocated (one sample per 512 KiB) instead of CPU time.
  local event="event=cpu,interval=1ms"
  case "${PROFILE_EVENT:-cpu}" in cpu) ;; alloc) event="event=alloc" ;; *) die "PROFILE_EVENT=$PROFILE_EVENT (expected: cpu or alloc)" ;; esac
  [ "$load" = h2 ] && { command -v h2load >/dev/null || die "h2load is missing: apt-get install -y nghttp2-client"; }
  case "$load" in http1) load_fn=wrk_load ;; h2) load_fn=h2load_run ;; open) load_fn=open_load; loadtest_built ;;
    *) die "PROFILE_LOAD=$load (expected: http1, h2 or open)" ;; esac
  [ "$target" = portcullis-access ] && ACCESS=on
  # Loaded at start, the agent makes the JVM keep what profiling needs from the first method on:
  # attached later, it makes the JIT compile much of the code again inside the profile.
  [ -n "${ASYNC_PROFILER:-}" ] && PORTCULLIS_JAVA_OPTS="${PORTCULLIS_JAVA_OPTS:-} -agentpath:$ASYNC_PROFILER"
  mkdir -p "$WORK" "$RESULTS"
  make_tls; snapshot_gateway
  declare -gA PIDS
  start_backend
  case "$target" in # only the profiled gateway runs beside the backend (it offers h2 by ALPN anyway)
    portcullis-access) start_portcullis_with_access ;;
    portcullis) start_portcullis portcullis $PORTCULLIS_PORT auto; wait_port $PORTCULLIS_PORT ;;
    portcullis-jdk) start_portcullis portcullis-jdk $PORTCULLIS_JDK_PORT jdk; wait_port $PORTCULLIS_JDK_PORT ;;
    *) die "PROFILE_TARGET=$target (expected: portcullis-access, portcullis or portcullis-jdk)" ;;
  esac
  local pid="${PIDS[$target]}" stamp; stamp=$(date -u +%Y%m%dT%H%M%SZ)
  local out="$RESULTS/profile-${PROFILE_EVENT:-cpu}-$load-$target-$stamp"
  log "warming $target: ${JVM_WARMUP}s of $load load"
  warm_jit "$target" "$load_fn"
  local c0; c0=$(cpu_ticks "$pid")
  if [ -n "${ASYNC_PROFILER:-}" ]; then
    "$JAVA_HOME/bin/jcmd" "$pid" JVMTI.agent_load "$ASYNC_PROFILER" "\"start,$event,file=$out.collapsed,collapsed\"" >&2
    "$load_fn" "$target" "$seconds" > "$out.load.txt"
    "$JAVA_HOME/bin/jcmd" "$pid" JVMTI.agent_load "$ASYNC_PROFILER" "\"stop,file=$out.collapsed,collapsed\"" >&2
    # The samples stay after stop: the same profile again, as a flame graph.
    "$JAVA_HOME/bin/jcmd" "$pid" JVMTI.agent_load "$ASYNC_PROFILER" "\"dump,file=$out.html,flamegraph,title=$target-$load\"" >&2
    # The event loop alone, root at the top (an icicle): the image docs/benchmarks.md shows.
    "$JAVA_HOME/bin/jcmd" "$pid" JVMTI.agent_load "$ASYNC_PROFILER" \
      "\"dump,file=$out-event-loop.html,flamegraph,inverted,include=*SingleThreadIoEventLoop.run*,title=$target-$load-event-loop\"" >&2
  else
    "$JAVA_HOME/bin/jcmd" "$pid" JFR.start settings=profile "filename=$out.jfr" >/dev/null
    "$load_fn" "$target" "$seconds" > "$out.load.txt"
    "$JAVA_HOME/bin/jcmd" "$pid" JFR.stop "filename=$out.jfr" >/dev/null
  fi
  log "profiled $target (pid $pid) for ${seconds}s of $load: $(( ($(cpu_ticks "$pid") - c0) * TICK_US / 1000 )) ms of CPU; $out.* (the load's own report: $out.load.txt)"
}

# Two event loops on two cores against one. One core: nginx (1 worker) and the gateway with access
# control on (1 event loop) pinned to core 1, wrk and the backend on core 0, as in http1. Two cores:
# nginx with 2 workers and the same gateway with 2 event loops, both unpinned on cores 0-1, beside
# wrk -t2 and a backend with 2 workers on the same two cores: the machine has only two, so the proxy
# shares them with its load. nginx's own ratio, measured in the same run, shows what that leaves.
scenario_two_loops() {
  need nginx; need wrk; need taskset; need openssl
  [ "$(nproc)" -ge 2 ] || die "needs 2 cores"
  mkdir -p "$WORK" "$RESULTS" "$WORK/nginx-backend-2/tmp" "$WORK/nginx-proxy/tmp" "$WORK/nginx-proxy/tmp-proxy" \
    "$WORK/nginx-proxy-2/tmp" "$WORK/nginx-proxy-2/tmp-proxy"
  make_tls; snapshot_gateway; loadtest_built
  ports_free $BACKEND2_PORT $NGINX2_PORT $PORTCULLIS_ACCESS_PORT $PORTCULLIS_ACCESS2_PORT
  declare -gA PIDS
  start_backend
  render nginx-backend.conf nginx-backend-2.conf -e "s|@BACKEND_PORT@|$BACKEND2_PORT|g" \
    -e 's|nginx-backend/|nginx-backend-2/|g' -e 's|^worker_processes 1;|worker_processes 2;|'
  start_pinned 0-1 nginx-backend-2 nginx -e "$WORK/nginx-backend-2/error.log" -c "$WORK/nginx-backend-2.conf"
  local backend2=$LAST_PID
  wait_port $BACKEND2_PORT
  render nginx-proxy.conf nginx-proxy.conf
  start_pinned $PROXY_CORE nginx-proxy nginx -e "$WORK/nginx-proxy/error.log" -c "$WORK/nginx-proxy.conf"
  PIDS[nginx]=$LAST_PID
  render nginx-proxy.conf nginx-proxy-2.conf -e "s|@BACKEND_PORT@|$BACKEND2_PORT|g" -e "s|@NGINX_PORT@|$NGINX2_PORT|g" \
    -e 's|nginx-proxy/|nginx-proxy-2/|g' -e 's|^worker_processes 1;|worker_processes 2;|'
  start_pinned 0-1 nginx-proxy-2 nginx -e "$WORK/nginx-proxy-2/error.log" -c "$WORK/nginx-proxy-2.conf"
  PIDS[nginx-2-workers]=$LAST_PID
  start_portcullis_with_access
  render portcullis.yaml portcullis-access-2-loops.yaml -e "s|@PORTCULLIS_PORT@|$PORTCULLIS_ACCESS2_PORT|g" \
    -e "s|^insecureOpenAccess: true|identity: {developmentIssuer: {stateDirectory: $WORK/access-state/issuer}}|" \
    -e 's|^    address: 127.0.0.1$|    address: 127.0.0.1\n    owner: bench|' -e 's|^eventLoopThreads: 1|eventLoopThreads: 2|'
  PROXY_CORE=0-1 start_portcullis portcullis-access-2-loops $PORTCULLIS_ACCESS2_PORT auto render-done
  wait_port $NGINX_PORT; wait_port $NGINX2_PORT; wait_port $PORTCULLIS_ACCESS2_PORT
  local target two
  for two in nginx-2-workers portcullis-access-2-loops; do
    WRK_CORES[$two]=0-1; WRK_THREADS[$two]=2; HOST_OF[$two]="$BACKEND2_PORT-bench.ws.localhost"; BACKEND_OF[$two]=$backend2
  done
  local targets=(nginx portcullis-access nginx-2-workers portcullis-access-2-loops)
  for target in "${targets[@]}"; do
    local auth=()
    [[ "$target" == portcullis-access* ]] && auth=(-H "Authorization: Bearer $ACCESS_TOKEN")
    curl -sk -o /dev/null -w "%{http_code}" -H "Host: ${HOST_OF[$target]:-$HOST_HEADER}" "${auth[@]}" "$(url_of "$target")" \
      | grep -q 200 || die "$target does not answer 200 on $(url_of "$target"); see $WORK/*.out"
  done
  log "warming the gateways' JIT: ${JVM_WARMUP}s of load each"
  warm_jit portcullis-access wrk_load; warm_jit portcullis-access-2-loops wrk_load
  local stamp; stamp=$(date -u +%Y%m%dT%H%M%SZ)
  SAMPLES="$RESULTS/two-loops-$stamp.samples.tsv"
  printf 'rep\ttarget\tmode\trps\tp50_us\tp99_us\tcpu_us_per_req\tbackend_cpu_us_per_req\trequests\terrors\tp90_us\tp999_us\tuser_us_per_req\tsys_us_per_req\n' > "$SAMPLES"
  local rep order
  for rep in $(seq 1 "$REPS"); do
    local shift=$(( (rep - 1) % ${#targets[@]} ))
    order="${targets[*]:shift} ${targets[*]:0:shift}"
    log "repetition $rep/$REPS (wrk -c$CONNECTIONS -d${DURATION}s; -t1 on core 0 against one core, -t2 on cores 0-1 against two)"
    for target in $order; do measure_closed "$rep" "$target"; done
  done
  loadtest_java dev.portcullis.loadtest.BenchReport --samples "$SAMPLES" --out "$RESULTS/two-loops-$stamp.json" \
    --meta "scenario=two-loops" --meta "date=$stamp" --meta "cores=$(nproc)" --meta "kernel=$(uname -r)" \
    --meta "command=REPS=$REPS DURATION=$DURATION JVM_WARMUP=$JVM_WARMUP JVM_WARMUP_CPU=$JVM_WARMUP_CPU CONNECTIONS=$CONNECTIONS loadtest/run.sh two-loops" \
    --meta "gateway_build=${GATEWAY_TARGET:-cli/target}/portcullis-cli.jar, git HEAD $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown) (working tree may differ)" \
    --meta "load_average_after=$(cut -d' ' -f1-3 /proc/loadavg)"
}

# Allocation per request and GC pauses under load (AllocationProbe): each gateway build runs twice
# (open, and with access control on) with a fixed heap and -Xlog:gc, pinned to core 1; the load
# (wrk over HTTP/1.1, h2load over HTTP/2 for the access-on gateway) on core 0. Before and after a
# measured run the probe reads the process's allocated bytes (all threads, and the event loops'
# own) from its ThreadMXBean; the GC log between the two readings gives the pauses.
# ALLOC_BEFORE: older source trees (git worktrees of older commits, their gateway built) measured in
# the same run beside GATEWAY_TARGET; each runs with the JVM options of its time, i.e. without the
# leak detector's setting of the current launcher. ALLOC_LEAK_ROW [on] adds the current build once
# more with Netty's default leak detection (simple), to show what that flag alone is worth.
scenario_alloc() {
  need nginx; need wrk; need taskset; need openssl
  command -v h2load >/dev/null || die "h2load is missing: apt-get install -y nghttp2-client"
  [ "$(nproc)" -ge 2 ] || die "needs 2 cores (one for the gateways, one for the client and backend)"
  mkdir -p "$WORK" "$RESULTS"
  make_tls; loadtest_built
  declare -gA PIDS TOKEN_OF
  local heap=${ALLOC_HEAP:-256m} port=$ALLOC_FIRST_PORT labels=() label dir
  declare -A BUILD_OF=() OPTIONS_OF=()
  local production; production=$(echo ${JVM_OPTIONS:-$(default_jvm_options)})
  alloc_snapshot current "${GATEWAY_TARGET:-$ROOT/cli/target}"
  labels+=(current); OPTIONS_OF[current]=$production
  if [ "${ALLOC_LEAK_ROW:-on}" = on ]; then
    labels+=(current-leak-simple); BUILD_OF[current-leak-simple]=current
    OPTIONS_OF[current-leak-simple]="$(sed 's/-Dio.netty.leakDetection.level=[a-z]*//' <<<"$production") -Dio.netty.leakDetection.level=simple"
  fi
  for dir in ${ALLOC_BEFORE:-}; do
    label=$(git -C "$dir" rev-parse --short HEAD 2>/dev/null || basename "$dir")
    if [ -f "$dir/cli/target/portcullis-cli.jar" ]; then alloc_snapshot "$label" "$dir/cli/target"
    else alloc_snapshot "$label" "$dir/gateway/target"; fi
    labels+=("$label")
    OPTIONS_OF[$label]="$(sed 's/-Dio.netty.leakDetection.level=[a-z]*//' <<<"$production")"
  done
  ports_free $BACKEND_PORT $(seq $ALLOC_FIRST_PORT $((ALLOC_FIRST_PORT + 2 * ${#labels[@]})))
  start_backend
  local targets=() target
  for label in "${labels[@]}"; do
    local build=${BUILD_OF[$label]:-$label}
    start_alloc_gateway "portcullis-$label" $port "$build" off "${OPTIONS_OF[$label]}" "$heap"
    start_alloc_gateway "portcullis-access-$label" $((port + 1)) "$build" on "${OPTIONS_OF[$label]}" "$heap"
    targets+=("portcullis-$label http1" "portcullis-access-$label http1" "portcullis-access-$label h2")
    port=$((port + 2))
  done
  log "warming the gateways' JIT: ${JVM_WARMUP}s of load each (h2 load too for the access-on ones)"
  for label in "${labels[@]}"; do
    warm_jit "portcullis-$label" wrk_load
    ACCESS_TOKEN=${TOKEN_OF[portcullis-access-$label]}
    warm_jit "portcullis-access-$label" wrk_load
    h2load_run "portcullis-access-$label" "$JVM_WARMUP" >/dev/null
  done
  local stamp; stamp=$(date -u +%Y%m%dT%H%M%SZ)
  SAMPLES="$RESULTS/alloc-$stamp.samples.tsv"
  printf "$ALLOC_SAMPLES_HEADER" > "$SAMPLES"
  # What a reading costs the gateway (its RMI threads): two readings with nothing in between. The first
  # reading of a gateway starts its JMX agent, whose classes take the metaspace past its first threshold:
  # a full GC ("Metadata GC Threshold", 100-330 ms on a busy core) that must happen here, outside every
  # measured run (it did fall into the first measured run of each access-on gateway before).
  local probe_cost=() first second name
  for label in "${labels[@]}"; do
    for name in "portcullis-$label" "portcullis-access-$label"; do
      first=$(alloc_probe "${PIDS[$name]}"); second=$(alloc_probe "${PIDS[$name]}")
      probe_cost+=("$name:$(( $(field total_bytes "$second") - $(field total_bytes "$first") ))")
    done
  done
  local rep order
  for rep in $(seq 1 "$REPS"); do
    local shift=$(( (rep - 1) % ${#targets[@]} ))
    log "repetition $rep/$REPS (wrk -t1 -c$CONNECTIONS, h2load -c$H2_CONNECTIONS -m$H2_STREAMS; -d${DURATION}s)"
    for target in "${targets[@]:shift}" "${targets[@]:0:shift}"; do
      # shellcheck disable=SC2086 # "name load"
      measure_alloc "$rep" $target
    done
  done
  loadtest_java dev.portcullis.loadtest.AllocationReport --samples "$SAMPLES" --out "$RESULTS/alloc-$stamp.json" \
    --reference current --meta "scenario=alloc" --meta "date=$stamp" --meta "cores=$(nproc)" --meta "kernel=$(uname -r)" \
    --meta "java=$("$JAVA" -version 2>&1 | head -n1)" --meta "heap=-Xms$heap -Xmx$heap" \
    --meta "gc=$(grep -m1 -o 'Using [A-Za-z0-9]*' "$WORK/portcullis-current-gc.log" 2>/dev/null || echo unknown)" \
    --meta "builds=$(for label in "${labels[@]}"; do printf '%s: %s [%s]; ' "$label" "${SOURCE_OF[${BUILD_OF[$label]:-$label}]}" "${OPTIONS_OF[$label]}"; done)" \
    --meta "probe_cost_bytes=${probe_cost[*]}" \
    --meta "command=ALLOC_BEFORE='${ALLOC_BEFORE:-}' ALLOC_HEAP=$heap ALLOC_LEAK_ROW=${ALLOC_LEAK_ROW:-on} REPS=$REPS DURATION=$DURATION WARMUP=$WARMUP JVM_WARMUP=$JVM_WARMUP JVM_WARMUP_CPU=$JVM_WARMUP_CPU CONNECTIONS=$CONNECTIONS H2_CONNECTIONS=$H2_CONNECTIONS H2_STREAMS=$H2_STREAMS loadtest/run.sh alloc" \
    --meta "git_head=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown) (working tree may differ)" \
    --meta "load_average_after=$(cut -d' ' -f1-3 /proc/loadavg)"
}

# What access control costs per request on a warm connection (issue 15, item 4): each build runs
# twice, open and with access control on, with the same fixed heap and JVM options, pinned to core 1;
# the load on core 0. Both gateways get the same requests, the bearer token included (the open one
# takes it off the head and ignores it), so the difference is the access check's work, not the
# token's bytes on the wire. Each repetition measures the two back to back (the order alternating),
# and AllocationProbe reads the event loop's own CPU time (the kernel's per-thread accounting, in ns),
# the process's and the allocated bytes before and after each run: whole-process CPU of a 2-core
# shared machine moves by more than the 1 us looked for, the event loop's thread time much less.
# ACCESS_COST_BEFORE: older source trees (worktrees of older commits, built) measured beside this
# build in the same run. ACCESS_COST_LOADS [http1] (http1 h2). Prints the difference and the goal.
scenario_access_cost() {
  need nginx; need wrk; need taskset; need openssl
  local loads=${ACCESS_COST_LOADS:-http1} load
  for load in $loads; do
    case "$load" in http1) ;; h2) command -v h2load >/dev/null || die "h2load is missing: apt-get install -y nghttp2-client" ;;
      *) die "ACCESS_COST_LOADS=$loads (expected: http1, h2 or both)" ;; esac
  done
  [ "$(nproc)" -ge 2 ] || die "needs 2 cores (one for the gateways, one for the client and backend)"
  mkdir -p "$WORK" "$RESULTS"
  make_tls; loadtest_built
  declare -gA PIDS TOKEN_OF
  local heap=${ALLOC_HEAP:-256m} port=$ALLOC_FIRST_PORT labels=(current) label dir options
  options=$(echo ${JVM_OPTIONS:-$(default_jvm_options)})
  local profile=${ACCESS_COST_PROFILE:-off}
  case "$profile" in off) ;; alloc|cpu|itimer)
      [ -f "${ASYNC_PROFILER:-}" ] || die "ACCESS_COST_PROFILE=$profile needs ASYNC_PROFILER=<libasyncProfiler.so>"
      # Loaded at start, so the JIT keeps what profiling needs from the first method on (as scenario_profile).
      PORTCULLIS_JAVA_OPTS="${PORTCULLIS_JAVA_OPTS:-} -agentpath:$ASYNC_PROFILER" ;;
    *) die "ACCESS_COST_PROFILE=$profile (expected: off, alloc, cpu or itimer)" ;; esac
  alloc_snapshot current "${GATEWAY_TARGET:-$ROOT/cli/target}"
  for dir in ${ACCESS_COST_BEFORE:-}; do
    label=$(git -C "$dir" rev-parse --short HEAD 2>/dev/null || basename "$dir")
    if [ -f "$dir/cli/target/portcullis-cli.jar" ]; then alloc_snapshot "$label" "$dir/cli/target"
    else alloc_snapshot "$label" "$dir/gateway/target"; fi
    labels+=("$label")
  done
  ports_free $BACKEND_PORT $(seq $ALLOC_FIRST_PORT $((ALLOC_FIRST_PORT + 2 * ${#labels[@]})))
  start_backend own-ports
  # ACCESS_COST_BEARER_TO_OPEN=off sends the token to the access-on gateway only, as the http1
  # scenario does: the difference then includes the token's ~300 bytes through TLS and the decoder.
  BEARER_TO_OPEN=${ACCESS_COST_BEARER_TO_OPEN:-on}
  case "$BEARER_TO_OPEN" in on|off) ;; *) die "ACCESS_COST_BEARER_TO_OPEN=$BEARER_TO_OPEN (expected: on or off)" ;; esac
  for label in "${labels[@]}"; do
    start_alloc_gateway "portcullis-$label" $port "$label" off "$options" "$heap"
    start_alloc_gateway "portcullis-access-$label" $((port + 1)) "$label" on "$options" "$heap"
    TOKEN_OF[portcullis-$label]=${TOKEN_OF[portcullis-access-$label]}
    port=$((port + 2))
  done
  log "warming the gateways' JIT: ${JVM_WARMUP}s of load each"
  local name first second
  for label in "${labels[@]}"; do
    for name in "portcullis-$label" "portcullis-access-$label"; do
      ACCESS_TOKEN=${TOKEN_OF[$name]}
      warm_jit "$name" wrk_load
      warm_new_connections "$name" "${ACCESS_COST_CONNECT_WARMUP:-15}"
      if [[ " $loads " == *" h2 "* ]]; then h2load_run "$name" "$JVM_WARMUP" >/dev/null; fi
      # The first reading starts the gateway's JMX agent (and a full GC for its classes): outside the runs.
      first=$(alloc_probe "${PIDS[$name]}"); second=$(alloc_probe "${PIDS[$name]}")
    done
  done
  local stamp; stamp=$(date -u +%Y%m%dT%H%M%SZ)
  if [ "$profile" != off ]; then
    for label in "${labels[@]}"; do profile_pair "$profile" "$RESULTS/access-cost-$stamp" "portcullis-$label" "portcullis-access-$label"; done
  fi
  SAMPLES="$RESULTS/access-cost-$stamp.samples.tsv"
  printf "$ALLOC_SAMPLES_HEADER" > "$SAMPLES"
  local rep pair
  for rep in $(seq 1 "$REPS"); do
    log "repetition $rep/$REPS (wrk -t1 -c$CONNECTIONS / h2load -c$H2_CONNECTIONS -m$H2_STREAMS, -d${DURATION}s; load average $(cut -d' ' -f1-3 /proc/loadavg))"
    for label in "${labels[@]}"; do
      for load in $loads; do
        # The two gateways of a pair back to back, the first one alternating between repetitions.
        if (( rep % 2 )); then pair=("portcullis-$label" "portcullis-access-$label")
        else pair=("portcullis-access-$label" "portcullis-$label"); fi
        if [ "${ACCESS_COST_TOGETHER:-off}" = on ] && [ "$load" = http1 ]; then measure_pair "$rep" "${pair[@]}"
        else for name in "${pair[@]}"; do measure_alloc "$rep" "$name" "$load"; done; fi
      done
    done
  done
  loadtest_java dev.portcullis.loadtest.AccessCostReport --samples "$SAMPLES" --out "$RESULTS/access-cost-$stamp.json" \
    --reference current --meta "scenario=access-cost" --meta "date=$stamp" --meta "cores=$(nproc)" --meta "kernel=$(uname -r)" \
    --meta "java=$("$JAVA" -version 2>&1 | head -n1)" --meta "heap=-Xms$heap -Xmx$heap" --meta "jvm_options=$options" \
    --meta "builds=$(for label in "${labels[@]}"; do printf '%s: %s; ' "$label" "${SOURCE_OF[$label]}"; done)" \
    --meta "command=ACCESS_COST_BEFORE='${ACCESS_COST_BEFORE:-}' ACCESS_COST_LOADS='$loads' ACCESS_COST_BEARER_TO_OPEN=$BEARER_TO_OPEN ACCESS_COST_TOGETHER=${ACCESS_COST_TOGETHER:-off} ACCESS_COST_CONNECT_WARMUP=${ACCESS_COST_CONNECT_WARMUP:-15} ALLOC_HEAP=$heap REPS=$REPS DURATION=$DURATION WARMUP=$WARMUP JVM_WARMUP=$JVM_WARMUP JVM_WARMUP_CPU=$JVM_WARMUP_CPU CONNECTIONS=$CONNECTIONS H2_CONNECTIONS=$H2_CONNECTIONS H2_STREAMS=$H2_STREAMS loadtest/run.sh access-cost" \
    --meta "git_head=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown) (working tree may differ)" \
    --meta "load_average_after=$(cut -d' ' -f1-3 /proc/loadavg)"
}

declare -A JAR_OF=() MAIN_OF=() SOURCE_OF=()
ALLOC_SAMPLES_HEADER='rep\tbuild\ttarget\tload\trequests\tloop_bytes\ttotal_bytes\tgc_pauses\tgc_pause_total_ms\tgc_pause_max_ms\tcpu_us_per_req\tseconds\tloop_cpu_ns\tprocess_cpu_ns\tloop_user_ns\n'

# A copy of one gateway build (a cli/target, or an older gateway/target that had the commands) under
# $WORK/alloc-<label>/, so a concurrent rebuild cannot change it mid-run.
alloc_snapshot() { # label target-folder
  local label="$1" target="$2" jar
  if [ -f "$target/portcullis-cli.jar" ]; then jar=portcullis-cli.jar; MAIN_OF[$label]=dev.portcullis.cli.PortcullisCli
  elif [ -f "$target/portcullis-gateway.jar" ]; then jar=portcullis-gateway.jar; MAIN_OF[$label]=dev.portcullis.gateway.cli.PortcullisGatewayCli
  else die "$target holds no gateway build (portcullis-cli.jar or portcullis-gateway.jar): build it first"; fi
  [ -d "$target/lib" ] || die "$target/lib is missing: build it first"
  rm -rf "$WORK/alloc-$label"; mkdir -p "$WORK/alloc-$label"
  cp -rp "$target/$jar" "$target/lib" "$WORK/alloc-$label/"
  JAR_OF[$label]="$WORK/alloc-$label/$jar"
  SOURCE_OF[$label]="$target ($(git -C "$target" rev-parse --short HEAD 2>/dev/null || echo '?'), jar of $(date -u -r "$target/$jar" +%Y-%m-%dT%H:%M:%SZ))"
}

start_alloc_gateway() { # name port build access(on|off) jvm-options heap [transport]
  local name="$1" port="$2" build="$3" access="$4" options="$5" heap="$6" transport="${7:-auto}" cp
  cp="${JAR_OF[$build]}:$WORK/alloc-$build/lib/*"
  if [ "$access" = on ]; then
    render portcullis.yaml "$name.yaml" -e "s|@PORTCULLIS_PORT@|$port|g" -e "s|^transport: auto$|transport: $transport|" \
      -e "s|^insecureOpenAccess: true|identity: {developmentIssuer: {stateDirectory: $WORK/$name-state/issuer}}|" \
      -e 's|^    address: 127.0.0.1$|    address: 127.0.0.1\n    owner: bench|'
  else
    render portcullis.yaml "$name.yaml" -e "s|@PORTCULLIS_PORT@|$port|g"
  fi
  # shellcheck disable=SC2086 # option lists are words
  start_pinned $PROXY_CORE "$name" "$JAVA" $options ${PORTCULLIS_JAVA_OPTS:-} ${heap:+"-Xms$heap" "-Xmx$heap"} \
    "-Xlog:gc:file=$WORK/$name-gc.log:uptime,level,tags" "-Dlogback.configurationFile=$HERE/conf/logback-bench.xml" \
    -cp "$cp" "${MAIN_OF[$build]}" gateway --config "$WORK/$name.yaml"
  PIDS[$name]=$LAST_PID; PORT_OF[$name]=$port
  wait_port "$port"
  if [ "$access" = on ]; then
    TOKEN_OF[$name]=$("$JAVA" -cp "$cp" "${MAIN_OF[$build]}" token --user bench --ttl 2h --state-dir "$WORK/$name-state")
  fi
  local auth=(); [ "$access" = on ] && auth=(-H "Authorization: Bearer ${TOKEN_OF[$name]}")
  curl -sk -o /dev/null -w "%{http_code}" -H "Host: $HOST_HEADER" "${auth[@]}" "$(url_of "$name")" | grep -q 200 \
    || die "$name does not answer 200 on $(url_of "$name"); see $WORK/$name.out"
}

alloc_probe() { # pid [gc-log from-line]
  local gc=()
  [ -n "${2:-}" ] && gc=(--gc-log "$2" --gc-from-line "$3")
  taskset -c $CLIENT_CORE "$JAVA" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -cp "$HERE/target/portcullis-loadtest.jar:$HERE/target/lib/*" dev.portcullis.loadtest.AllocationProbe \
    --pid "$1" "${gc[@]}" | grep ALLOC_RESULT || die "cannot read the allocation of pid $1"
}

# ACCESS_COST_TOGETHER=on: the two gateways of a pair loaded at the same time (a wrk each, both on
# core 0), so that both run under the same conditions of the machine (they share core 1 and its
# caches, each getting about half of it) instead of one after the other. HTTP/1.1 only; no GC figures.
measure_pair() { # rep name name
  local rep="$1" names=("$2" "$3") name pids=() before=() after=() i
  for name in "${names[@]}"; do ACCESS_TOKEN=${TOKEN_OF[$name]}; wrk_load "$name" "$WARMUP" >/dev/null & pids+=($!); done
  wait "${pids[@]}"; pids=()
  for name in "${names[@]}"; do before+=("$(alloc_probe "${PIDS[$name]}")"); done
  for name in "${names[@]}"; do
    ACCESS_TOKEN=${TOKEN_OF[$name]}
    wrk_load "$name" "$DURATION" > "$WORK/pair-$name.out" & pids+=($!)
  done
  wait "${pids[@]}" || die "wrk failed against ${names[*]}"
  for name in "${names[@]}"; do after+=("$(alloc_probe "${PIDS[$name]}")"); done
  for i in 0 1; do
    name=${names[$i]}
    local out requests build
    out=$(grep WRK_RESULT "$WORK/pair-$name.out") || die "wrk failed against $name"
    requests=$(field requests "$out")
    [ "${requests:-0}" -gt 0 ] || die "no request completed against $name"
    build=${name#portcullis-}; build=${build#access-}
    printf '%s\t%s\t%s\thttp1\t%s\t%s\t%s\t0\t0\t0\t0\t%s\t%s\t%s\t%s\n' "$rep" "$build" "${name%-"$build"}" "$requests" \
      $(( $(field loop_bytes "${after[$i]}") - $(field loop_bytes "${before[$i]}") )) \
      $(( $(field total_bytes "${after[$i]}") - $(field total_bytes "${before[$i]}") )) "$DURATION" \
      $(( $(field loop_cpu_ns "${after[$i]}") - $(field loop_cpu_ns "${before[$i]}") )) \
      $(( $(field process_cpu_ns "${after[$i]}") - $(field process_cpu_ns "${before[$i]}") )) \
      $(( $(field loop_user_ns "${after[$i]}") - $(field loop_user_ns "${before[$i]}") )) >> "$SAMPLES"
    log "  $name http1 (loaded together): $requests requests, $(tail -n1 "$SAMPLES" | awk -F'\t' '{printf "%.0f B/req, CPU %.2f us/req on the loop (%.2f user), %.2f in all", $7/$5, $13/$5/1000, $15/$5/1000, $14/$5/1000}'), load average $(cut -d' ' -f1 /proc/loadavg)"
  done
}

# A connection's first request (its TLS handshake and, with access on, the whole check: the token
# found in the verifier's cache, the principal built, the policy decided, the audit line) comes 32
# times per measured run: too rarely for the JIT, so without this it runs interpreted, at about 1 ms
# a time, and adds 0.3-3 us to every request of a 10 s run, which the warm path is not. A gateway
# in service sees new connections all the time; this gives both gateways of a pair as many.
warm_new_connections() { # target seconds
  [ "$2" -gt 0 ] || return 0
  local auth=()
  if [[ "$1" == portcullis-access* || "${BEARER_TO_OPEN:-off}" = on ]]; then auth=(-H "Authorization: Bearer $ACCESS_TOKEN"); fi
  taskset -c "$CLIENT_CORE" wrk -t1 -c"$CONNECTIONS" -d"$2s" -H "Host: ${HOST_OF[$1]:-$HOST_HEADER}" \
    -H "Connection: close" "${auth[@]}" "$(url_of "$1")" | grep -E "Requests/sec|Socket errors" >&2 || true
}

# ACCESS_COST_PROFILE: the open and the access-on gateway of one build recorded by async-profiler at
# the same time, loaded together as in measure_pair (the same requests, the token included), then
# AccessCostProfile prints what the access-on gateway's event loop spends per request more.
# Writes <prefix>-<gateway>.<event>.collapsed (one line per stack: bytes or ns in all).
profile_pair() { # event prefix open-name access-name
  local event="$1" prefix="$2" names=("$3" "$4") name pids=() requests=() options
  case "$event" in alloc) options="event=alloc,alloc=${PROFILE_ALLOC_INTERVAL:-16k}" ;;
    *) options="event=$event,interval=${PROFILE_INTERVAL:-200us}" ;; esac
  for name in "${names[@]}"; do ACCESS_TOKEN=${TOKEN_OF[$name]}; wrk_load "$name" "$WARMUP" >/dev/null & pids+=($!); done
  wait "${pids[@]}"; pids=()
  for name in "${names[@]}"; do
    "$JAVA_HOME/bin/jcmd" "${PIDS[$name]}" JVMTI.agent_load "$ASYNC_PROFILER" "\"start,$options,threads,total\"" >/dev/null
  done
  local seconds=${PROFILE_SECONDS:-20}
  for name in "${names[@]}"; do
    ACCESS_TOKEN=${TOKEN_OF[$name]}
    wrk_load "$name" "$seconds" > "$WORK/profile-$name.out" & pids+=($!)
  done
  wait "${pids[@]}" || die "wrk failed against ${names[*]}"
  for name in "${names[@]}"; do
    "$JAVA_HOME/bin/jcmd" "${PIDS[$name]}" JVMTI.agent_load "$ASYNC_PROFILER" \
      "\"stop,file=$prefix-$name.$event.collapsed,collapsed,total\"" >/dev/null
    requests+=("$(field requests "$(grep WRK_RESULT "$WORK/profile-$name.out")")")
  done
  log "profiled ${names[*]} ($event) for ${seconds}s loaded together: ${requests[*]} requests; $prefix-*.$event.collapsed"
  loadtest_java dev.portcullis.loadtest.AccessCostProfile --event "$event" \
    --open "$prefix-${names[0]}.$event.collapsed" --open-requests "${requests[0]}" \
    --access "$prefix-${names[1]}.$event.collapsed" --access-requests "${requests[1]}" | tee "$prefix-${names[1]}.$event.txt"
}

# One measured run of one gateway under one load: requests, bytes allocated, GC pauses, CPU.
measure_alloc() { # rep name load(http1|h2)
  local rep="$1" name="$2" load="$3" pid="${PIDS[$2]}" gc="$WORK/$2-gc.log" requests out
  ACCESS_TOKEN=${TOKEN_OF[$name]:-}
  if [ "$load" = h2 ]; then h2load_run "$name" "$WARMUP" >/dev/null; else wrk_load "$name" "$WARMUP" >/dev/null; fi
  local lines0 before after c0 c1 t0 t1
  lines0=$(wc -l < "$gc")
  before=$(alloc_probe "$pid")
  c0=$(cpu_ticks "$pid"); t0=$(date +%s.%N)
  if [ "$load" = h2 ]; then
    out=$(h2load_run "$name" "$DURATION") || die "h2load failed against $name"
    # "requests: 1000 total, 1000 started, 1000 done, 1000 succeeded, 0 failed, 0 errored, 0 timeout"
    requests=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' <<<"$out")
  else
    out=$(wrk_load "$name" "$DURATION" | grep WRK_RESULT) || die "wrk failed against $name"
    requests=$(field requests "$out")
  fi
  c1=$(cpu_ticks "$pid"); t1=$(date +%s.%N)
  after=$(alloc_probe "$pid" "$gc" "$lines0")
  [ "${requests:-0}" -gt 0 ] || die "no request completed against $name ($load)"
  local build=${name#portcullis-}; build=${build#access-}
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$build" "${name%-"$build"}" "$load" "$requests" \
    $(( $(field loop_bytes "$after") - $(field loop_bytes "$before") )) \
    $(( $(field total_bytes "$after") - $(field total_bytes "$before") )) \
    "$(field gc_pauses "$after")" "$(field gc_pause_total_ms "$after")" "$(field gc_pause_max_ms "$after")" \
    "$(awk -v c="$(( (c1 - c0) * TICK_US ))" -v n="$requests" 'BEGIN{printf "%.2f", c/n}')" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')" \
    $(( $(field loop_cpu_ns "$after") - $(field loop_cpu_ns "$before") )) \
    $(( $(field process_cpu_ns "$after") - $(field process_cpu_ns "$before") )) \
    $(( $(field loop_user_ns "$after") - $(field loop_user_ns "$before") )) >> "$SAMPLES"
  log "  $name $load: $requests requests, $(tail -n1 "$SAMPLES" | awk -F'\t' '{printf "%.0f B/req on the loop, %.0f B/req in all, %s GC pauses (%s ms, max %s ms), CPU %.2f us/req on the loop (%.2f user), %.2f in all", $6/$5, $7/$5, $8, $9, $10, $13/$5/1000, $15/$5/1000, $14/$5/1000}'), load average $(cut -d' ' -f1 /proc/loadavg)"
}

scenario_ws_idle() {
  need taskset
  mkdir -p "$WORK" "$RESULTS"
  make_tls; snapshot_gateway; loadtest_built
  (( TUNNELS * 2 + 1000 < $(ulimit -n) )) || die "ulimit -n $(ulimit -n) is too low for $TUNNELS tunnels"
  ports_free $PORTCULLIS_PORT $DEMO_PORT
  declare -gA PIDS
  start_pinned $CLIENT_CORE demo-app "$JAVA" -cp "$HERE/target/lib/*" dev.portcullis.devkit.workspace.DemoBackend "$DEMO_PORT"
  DEMO_PID=$LAST_PID
  wait_port $DEMO_PORT
  start_portcullis portcullis $PORTCULLIS_PORT auto
  wait_port $PORTCULLIS_PORT
  local stamp; stamp=$(date -u +%Y%m%dT%H%M%SZ)
  loadtest_java -Xss256k dev.portcullis.loadtest.IdleTunnels --port $PORTCULLIS_PORT --host "$DEMO_PORT-bench.ws.localhost" \
    --tunnels "$TUNNELS" --gateway-pid "${PIDS[portcullis]}" --jcmd "$JAVA_HOME/bin/jcmd" --ca "$WORK/tls/ca.pem" \
    --out "$RESULTS/ws-idle-$stamp.json" --meta "date=$stamp" --meta "command=TUNNELS=$TUNNELS loadtest/run.sh ws-idle" \
    --meta "gateway_build=${GATEWAY_TARGET:-cli/target}/portcullis-cli.jar of $(date -u -r "$WORK/gateway/portcullis-cli.jar" +%Y-%m-%dT%H:%M:%SZ)" \
    --meta "portcullis_log=$(grep -E 'Transport|TLS' "$WORK/portcullis.out" | sed 's/^[0-9:.]* INFO  //' | tr '\n' ';')"
}

# A single etcd member on loopback, its data under target/bench/etcd (removed first); stopped at the end.
start_bench_etcd() {
  [ -x /usr/bin/etcd ] || die "/usr/bin/etcd is missing: apt-get install -y etcd-server"
  ports_free $ETCD_CLIENT_PORT $ETCD_PEER_PORT
  rm -rf "$WORK/etcd"
  /usr/bin/etcd --name bench --data-dir "$WORK/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "bench=http://127.0.0.1:$ETCD_PEER_PORT" --logger zap --log-level warn >"$WORK/etcd.out" 2>&1 &
  STARTED+=("$!")
  wait_port $ETCD_CLIENT_PORT
}

# The route-churn measurements against one etcd member and against the embedded store. etcd and the
# generator share the machine.
scenario_route_churn() {
  mkdir -p "$WORK" "$RESULTS"
  loadtest_built
  start_bench_etcd
  local stamp; stamp=$(date -u +%Y%m%dT%H%M%SZ)
  loadtest_java -Xmx2g dev.portcullis.loadtest.RouteChurn --etcd "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --changes "$CHANGES" --etcd-table "$ETCD_TABLE" --out "$RESULTS/route-churn-$stamp.json" --meta "date=$stamp" \
    --meta "command=CHANGES=$CHANGES ETCD_TABLE=$ETCD_TABLE loadtest/run.sh route-churn" --meta "etcd=$(/usr/bin/etcd --version | head -n1)"
}

# Gateway processes started on a store of 0 and START_ROUTES routes (embedded, then one etcd member):
# process start to /readyz 200, heap after a full GC when ready, START_RUNS [3] runs each (GatewayStartup).
scenario_gateway_start() {
  mkdir -p "$WORK" "$RESULTS"
  loadtest_built
  snapshot_gateway
  make_tls
  start_bench_etcd
  local stamp; stamp=$(date -u +%Y%m%dT%H%M%SZ)
  local options=() option
  for option in $(default_jvm_options); do options+=(--jvm-option "$option"); done
  loadtest_java dev.portcullis.loadtest.GatewayStartup --work "$WORK/gateway-start" --java "$JAVA" --jcmd "$JAVA_HOME/bin/jcmd" \
    --gateway-cp "$WORK/gateway/portcullis-cli.jar:$WORK/gateway/lib/*" "${options[@]}" \
    --certificate-chain "$WORK/tls/server.pem" --private-key "$WORK/tls/server-key.pem" \
    --jvm-option "-Dlogback.configurationFile=$HERE/conf/logback-bench.xml" \
    --etcd "http://127.0.0.1:$ETCD_CLIENT_PORT" --routes "${START_ROUTES:-100000}" --runs "${START_RUNS:-3}" \
    --out "$RESULTS/gateway-start-$stamp.json" --meta "date=$stamp" \
    --meta "command=START_ROUTES=${START_ROUTES:-100000} START_RUNS=${START_RUNS:-3} loadtest/run.sh gateway-start" \
    --meta "load_average_before=$(cut -d' ' -f1-3 /proc/loadavg)"
}

# One route lookup at 1k, 10k and 100k routes, the same id each time vs ids spread over the table,
# in the replica's sharded map and a plain HashMap, by JMH in forked JVMs (LOOKUP_FORKS [2]).
scenario_route_lookup() {
  mkdir -p "$RESULTS"
  loadtest_built
  local stamp; stamp=$(date -u +%Y%m%dT%H%M%SZ)
  loadtest_java dev.portcullis.loadtest.jmh.RouteLookupBench "${LOOKUP_FORKS:-2}" "$RESULTS/route-lookup-$stamp.json"
}

# The policy decision of every request, measured by JMH in forked JVMs (POLICY_FORKS [3]), each case
# also as a ratio to the share lookup measured in the same run.
scenario_policy() {
  mkdir -p "$RESULTS"
  loadtest_built
  local stamp; stamp=$(date -u +%Y%m%dT%H%M%SZ)
  loadtest_java dev.portcullis.loadtest.jmh.PolicyBench "${POLICY_FORKS:-3}" "$RESULTS/policy-$stamp.json"
}

# The host agent's save of its desired state (the write-ahead record a create makes) at 10, 100 and
# 1000 workspaces, by JMH in forked JVMs (STATE_SAVE_FORKS [2]), each as a ratio to the save at 10.
scenario_state_save() {
  mkdir -p "$RESULTS"
  loadtest_built
  local stamp; stamp=$(date -u +%Y%m%dT%H%M%SZ)
  # With the agent's JIT (AGENT_JVM_OPTIONS), which JMH's forks inherit: the save as the agent runs it.
  # shellcheck disable=SC2086 # a list of options
  "$JAVA" ${AGENT_JVM_OPTIONS-$AGENT_JIT} -cp "$HERE/target/portcullis-loadtest.jar:$HERE/target/lib/*" \
    dev.portcullis.loadtest.jmh.StateSaveBench "${STATE_SAVE_FORKS:-2}" "$RESULTS/state-save-$stamp.json"
}

# The access check of one request with a bearer token on a warm connection vs a cold one, by JMH in
# forked JVMs (ACCESS_FORKS [3]), each minus the copy of the head that every case makes.
scenario_access_check() {
  mkdir -p "$RESULTS"
  loadtest_built
  local stamp; stamp=$(date -u +%Y%m%dT%H%M%SZ)
  loadtest_java dev.portcullis.loadtest.jmh.AccessCheckBench "${ACCESS_FORKS:-3}" "$RESULTS/access-check-$stamp.json"
}

# Bandwidth fairness: three gateways on core 1 (sharing a capacity; sharing one it never reaches;
# no fairness), nginx serving a big file and the demo app's WebSocket echo on core 0 beside the
# load generator, which runs every phase against them (see FairnessBench).
scenario_fairness() {
  need nginx; need taskset; need openssl
  [ "$(nproc)" -ge 2 ] || die "needs 2 cores (one for the gateways, one for the client and backends)"
  local capacity="${FAIR_CAPACITY:-200Mbit}" bits
  bits=$(sed -n 's/^\([0-9]*\)Mbit$/\1/p' <<<"$capacity")
  [ -n "$bits" ] || die "FAIR_CAPACITY=$capacity (expected: <n>Mbit)"
  mkdir -p "$WORK" "$RESULTS"
  make_tls; snapshot_gateway; loadtest_built
  ports_free $FAIR_PORT $FAIR_OFF_PORT $FAIR_UNBOUNDED_PORT
  declare -gA PIDS
  start_backend
  # One file larger than any phase moves on a connection: every download stays backlogged.
  truncate -s 4G "$WORK/www/big"
  start_pinned $CLIENT_CORE demo-app "$JAVA" -cp "$HERE/target/lib/*" dev.portcullis.devkit.workspace.DemoBackend "$DEMO_PORT" 3600
  wait_port $DEMO_PORT
  local name port
  for name in fair off unbounded; do
    case $name in fair) port=$FAIR_PORT ;; off) port=$FAIR_OFF_PORT ;; unbounded) port=$FAIR_UNBOUNDED_PORT ;; esac
    render portcullis-fairness.yaml "fairness-$name.yaml" -e "s|@PORTCULLIS_PORT@|$port|g"
    case $name in
      fair) sed "s|@CAPACITY@|$capacity|" "$HERE/conf/fairness-section.yaml" >> "$WORK/fairness-$name.yaml" ;;
      unbounded) sed "s|@CAPACITY@|100Gbit|" "$HERE/conf/fairness-section.yaml" >> "$WORK/fairness-$name.yaml" ;;
    esac
    # shellcheck disable=SC2086 # option lists are words
    start_pinned $PROXY_CORE "gateway-$name" "$JAVA" ${JVM_OPTIONS:-$(default_jvm_options)} \
      "-Dlogback.configurationFile=$HERE/conf/logback-bench.xml" ${PORTCULLIS_JAVA_OPTS:-} \
      -cp "$WORK/gateway/portcullis-cli.jar:$WORK/gateway/lib/*" dev.portcullis.cli.PortcullisCli \
      gateway --config "$WORK/fairness-$name.yaml"
    PIDS[$name]=$LAST_PID
  done
  wait_port $FAIR_PORT; wait_port $FAIR_OFF_PORT; wait_port $FAIR_UNBOUNDED_PORT
  local stamp; stamp=$(date -u +%Y%m%dT%H%M%SZ)
  taskset -c $CLIENT_CORE "$JAVA" -cp "$HERE/target/portcullis-loadtest.jar:$HERE/target/lib/*" \
    dev.portcullis.loadtest.FairnessBench --ca "$WORK/tls/ca.pem" \
    --fair-port $FAIR_PORT --fair-pid "${PIDS[fair]}" --off-port $FAIR_OFF_PORT --off-pid "${PIDS[off]}" \
    --unbounded-port $FAIR_UNBOUNDED_PORT --unbounded-pid "${PIDS[unbounded]}" \
    --bulk-port $BACKEND_PORT --echo-port $DEMO_PORT --capacity-bytes $((bits * 1000000 / 8)) \
    --runs "${FAIR_RUNS:-3}" --seconds "${FAIR_SECONDS:-10}" --jvm-warmup "${FAIR_JVM_WARMUP:-20}" \
    --clock-ticks "$(getconf CLK_TCK)" \
    --out "$RESULTS/fairness-$stamp.json" --png "$RESULTS/fairness-$stamp.png" \
    --meta "date=$stamp" --meta "capacity=$capacity" --meta "cpu=$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)" \
    --meta "cores=$(nproc)" --meta "kernel=$(uname -r)" --meta "java=$("$JAVA" -version 2>&1 | head -n1)" \
    --meta "command=FAIR_CAPACITY=$capacity FAIR_RUNS=${FAIR_RUNS:-3} FAIR_SECONDS=${FAIR_SECONDS:-10} loadtest/run.sh fairness" \
    --meta "gateway_build=${GATEWAY_TARGET:-cli/target}/portcullis-cli.jar of $(date -u -r "$WORK/gateway/portcullis-cli.jar" +%Y-%m-%dT%H:%M:%SZ), git HEAD $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown) (working tree may differ)" \
    --meta "load_average_before=$(cut -d' ' -f1-3 /proc/loadavg)" \
    | tee "$RESULTS/fairness-$stamp.txt"
}

# The host agent's create and delete as root (NetnsChurn): one at a time beside the kernel's own cost
# of a namespace with a veth pair, 20 callers at once, the last creates of 1000 workspaces, and one
# nft update and the first packet through the host at 10 vs 1000 workspaces, all in one run.
# Addresses in 10.214.0.0/20, inside namespaces the run makes and removes; nothing leaves the machine.
scenario_netns_churn() {
  [ "$(id -u)" = 0 ] || die "netns-churn builds network namespaces: run it as root"
  need ip; need nft; need tc; need flock
  mkdir -p "$RESULTS"
  loadtest_built
  local stamp; stamp=$(date -u +%Y%m%dT%H%M%SZ)
  local workspaces=${NETNS_WORKSPACES:-100} rounds=${NETNS_ROUNDS:-2} concurrent=${NETNS_CONCURRENT:-20}
  local fill=${NETNS_FILL:-1000} egress=${NETNS_EGRESS_MBIT:-100} spares=${NETNS_SPARES:-20}
  local default_egress=${NETNS_DEFAULT_EGRESS_MBIT:-0}
  # Under the lock every kernel test takes, so it never runs beside one (or beside another run).
  # shellcheck disable=SC2086 # JVM_OPTIONS is a list of options; the agent enters namespaces through JNA
  flock /tmp/portcullis-netns.lock "$JAVA" ${JVM_OPTIONS:---enable-native-access=ALL-UNNAMED} ${AGENT_JVM_OPTIONS-$AGENT_JIT} \
    -cp "$HERE/target/portcullis-loadtest.jar:$HERE/target/lib/*" dev.portcullis.loadtest.NetnsChurn --workspaces "$workspaces" --rounds "$rounds" \
    --concurrent "$concurrent" --fill "$fill" --egress-mbit "$egress" --default-egress-mbit "$default_egress" --spares "$spares" --out "$RESULTS/netns-churn-$stamp.json" \
    --meta "date=$stamp" --meta "command=NETNS_WORKSPACES=$workspaces NETNS_ROUNDS=$rounds NETNS_CONCURRENT=$concurrent NETNS_FILL=$fill NETNS_EGRESS_MBIT=$egress NETNS_DEFAULT_EGRESS_MBIT=$default_egress NETNS_SPARES=$spares loadtest/run.sh netns-churn" \
    --meta "agent_build=git HEAD $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown) (working tree may differ)" \
    --meta "kernel=$(uname -r)" --meta "nft=$(nft --version)" --meta "ip=$(ip -V)" \
    --meta "agent_jvm_options=${AGENT_JVM_OPTIONS-$AGENT_JIT}" \
    --meta "load_average_before=$(cut -d' ' -f1-3 /proc/loadavg)" | tee "$RESULTS/netns-churn-$stamp.txt"
}

# The host's uplink shared by weight between 10 backlogged workspaces (HostFairness): the tree the
# host agent builds on its uplink (a class per workspace) vs one class for all, with iperf3. The
# agent runs in the run's JVM with names of its own (pchf-*, 10.213.179.128/26), its uplink is a veth
# pchfup into the namespace pchf_world; all of it is deleted after; the host's own links are never
# touched. It takes the lock every kernel test takes, so it never runs beside one.
scenario_host_fairness() {
  [ "$(id -u)" = 0 ] || die "host-fairness builds network namespaces: run it as root"
  need ip; need nft; need tc; need iperf3; need flock
  mkdir -p "$RESULTS"
  loadtest_built
  local stamp; stamp=$(date -u +%Y%m%dT%H%M%SZ)
  local uplink=${HOSTFAIR_UPLINK_MBIT:-200} runs=${HOSTFAIR_RUNS:-3} seconds=${HOSTFAIR_SECONDS:-15}
  # shellcheck disable=SC2086 # JVM_OPTIONS is a list of options; the agent enters namespaces through JNA
  flock /tmp/portcullis-netns.lock "$JAVA" ${JVM_OPTIONS:---enable-native-access=ALL-UNNAMED} ${AGENT_JVM_OPTIONS-$AGENT_JIT} \
    -cp "$HERE/target/portcullis-loadtest.jar:$HERE/target/lib/*" dev.portcullis.loadtest.HostFairness --uplink-mbit "$uplink" --runs "$runs" --seconds "$seconds" \
    --out "$RESULTS/host-fairness-$stamp.json" --meta "date=$stamp" \
    --meta "command=HOSTFAIR_UPLINK_MBIT=$uplink HOSTFAIR_RUNS=$runs HOSTFAIR_SECONDS=$seconds loadtest/run.sh host-fairness" \
    --meta "kernel=$(uname -r)" --meta "iperf3=$(iperf3 --version | head -n1)" --meta "cores=$(nproc)" \
    --meta "load_average_before=$(cut -d' ' -f1-3 /proc/loadavg)" | tee "$RESULTS/host-fairness-$stamp.txt"
}

case "${1:-}" in
  http1) scenario_http1 ;;
  host-fairness) scenario_host_fairness ;;
  netns-churn) scenario_netns_churn ;;
  policy) scenario_policy ;;
  access-check) scenario_access_check ;;
  route-churn) scenario_route_churn ;;
  route-lookup) scenario_route_lookup ;;
  state-save) scenario_state_save ;;
  gateway-start) scenario_gateway_start ;;
  h2) scenario_h2 ;;
  ws-idle) scenario_ws_idle ;;
  serve) scenario_serve ;;
  profile) scenario_profile ;;
  two-loops) scenario_two_loops ;;
  alloc) scenario_alloc ;;
  access-cost) scenario_access_cost ;;
  fairness) scenario_fairness ;;
  *) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
