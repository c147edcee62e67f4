#!/usr/bin/env bash
# Shared helpers for scripts/opensearch.sh and scripts/elasticsearch.sh: build a small
# Maven launcher project, run it as one background JVM, and start/stop/status it by pid file.
#
# The caller sets, then calls `jvmnode_main "$@"`:
#   NODE_LABEL       human name, e.g. "opensearch" (also used for log file names)
#   NODE_SRC         launcher project directory (holds pom.xml, src/main/java, log4j2.xml)
#   NODE_MAIN        main class name (default package)
#   NODE_PORT        HTTP port
#   NODE_TPORT       transport port
#   NODE_HOME        data/log/pid directory (created)
#   NODE_HEAP        heap size for -Xms/-Xmx (e.g. 1g)
#   NODE_JAVA_OPTS   extra JVM options (word-split on spaces), may be empty
#   NODE_TARGET      Maven build directory (default $NODE_SRC/target)
#   NODE_MVN_ARGS    extra Maven arguments, e.g. a profile (word-split), may be empty
#   NODE_PLUGIN_ZIPS plugins published on Maven Central only as a zip (packaging "zip"), as
#                    space-separated group:artifact:version; each is unpacked under
#                    $NODE_TARGET/plugin-zips/ and its jars join the classpath. May be empty.
# Optional environment:
#   JAVA_HOME        JDK to use (default: java/javac on PATH)
#   M2_REPO          local Maven repository (default: Maven's own, normally ~/.m2/repository)
#   MAVEN_OPTS       read by mvn itself (JVM options and -D properties)
#   MAVEN_ARGS       extra mvn arguments, word-split (Maven 3.9+ also reads it natively, so
#                    there they are passed twice, which is harmless for -D/-P/-s)
#   NODE_START_TIMEOUT (s, default 180), NODE_STOP_TIMEOUT (s, default 30)
# This file is meant to be sourced, not run.

jvmnode_log() { printf '%s: %s\n' "$NODE_LABEL" "$*" >&2; }
jvmnode_die() { jvmnode_log "error: $*"; exit 1; }

jvmnode_java() { if [[ -n "${JAVA_HOME:-}" ]]; then printf '%s/bin/%s' "$JAVA_HOME" "$1"; else printf '%s' "$1"; fi; }

jvmnode_url() { printf 'http://127.0.0.1:%s' "$NODE_PORT"; }

# GET a path on the node; prints the body, fails when the node does not answer.
# curl when present, bash's /dev/tcp otherwise (a fresh machine may lack curl).
jvmnode_http_get() {
  local path=$1
  if command -v curl >/dev/null 2>&1; then
    curl -fsS --max-time 5 "$(jvmnode_url)$path" 2>/dev/null
    return
  fi
  local resp
  resp=$(
    exec 2>/dev/null
    exec 3<>"/dev/tcp/127.0.0.1/$NODE_PORT" || exit 1
    printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$path" >&3
    timeout 5 cat <&3
  ) || return 1
  [[ $resp == "HTTP/1."[01]" 200"* ]] || return 1
  printf '%s\n' "${resp#*$'\r\n\r\n'}"
}

jvmnode_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

jvmnode_healthy() {
  local body
  body=$(jvmnode_http_get /_cluster/health) || return 1
  [[ $body =~ \"status\":\"(green|yellow)\" ]]
}

# Canonical NODE_HOME (the launcher gets this exact path, and the pid check matches on it).
jvmnode_resolve_home() {
  if [[ -d $NODE_HOME ]]; then NODE_HOME=$(cd "$NODE_HOME" && pwd -P); fi
}

# Serialise start/stop for one NODE_HOME (two concurrent starts would otherwise launch two
# JVMs on one data directory and lose one pid). fd 9 stays open until the script exits.
jvmnode_lock() {
  command -v flock >/dev/null 2>&1 || return 0
  exec 9>"$NODE_HOME/.lock"
  flock -w "$1" 9 || jvmnode_die "another start/stop holds $NODE_HOME/.lock"
}

jvmnode_pidfile() { printf '%s/%s.pid' "$NODE_HOME" "$NODE_LABEL"; }

# Prints the pid from the pid file if that process is alive and is our launcher for this home.
jvmnode_running_pid() {
  local pf pid cmd
  pf=$(jvmnode_pidfile)
  [[ -f $pf ]] || return 1
  pid=$(<"$pf")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *" $NODE_MAIN $NODE_HOME "* ]] || return 1
  printf '%s' "$pid"
}

jvmnode_print_logs() {
  local f
  for f in "$NODE_HOME/stdout.log" "$NODE_HOME/$NODE_LABEL.log"; do
    [[ -f $f ]] || continue
    printf -- '----- last 40 lines of %s -----\n' "$f" >&2
    tail -n 40 "$f" >&2
  done
}

# Build the launcher if needed. The resolved classpath is cached in $NODE_TARGET/classpath.txt,
# keyed by a hash of pom.xml and the Maven repository setting, so a warm start runs no Maven
# at all: only javac, and only when the launcher source is newer than its class file.
jvmnode_build() {
  local target=${NODE_TARGET:-$NODE_SRC/target} cpfile stampfile stamp cls src need_mvn=0 jar
  local -a jars
  cpfile="$target/classpath.txt"
  stampfile="$target/classpath.stamp"
  cls="$target/classes/$NODE_MAIN.class"
  src="$NODE_SRC/src/main/java/$NODE_MAIN.java"
  stamp="$(sha256sum "$NODE_SRC/pom.xml" | cut -d' ' -f1) args=${NODE_MVN_ARGS:-} repo=${M2_REPO:-default} zips=${NODE_PLUGIN_ZIPS:-} java=$("$(jvmnode_java javac)" -version 2>&1)"

  mkdir -p "$target"
  if [[ ! -s $cpfile || ! -f $stampfile || "$(<"$stampfile")" != "$stamp" ]]; then
    need_mvn=1
  else
    IFS=: read -r -a jars <"$cpfile" || true  # no trailing newline: read returns 1
    for jar in "${jars[@]}"; do
      [[ -f $jar ]] || { need_mvn=1; break; }
    done
  fi

  if ((need_mvn)); then
    local -a mvn=(mvn -B -q -Dstyle.color=never -f "$NODE_SRC/pom.xml")
    [[ -n ${M2_REPO:-} ]] && mvn+=("-Dmaven.repo.local=$M2_REPO")
    # shellcheck disable=SC2206 # MAVEN_ARGS is deliberately word-split
    [[ -n ${MAVEN_ARGS:-} ]] && mvn+=($MAVEN_ARGS)
    # shellcheck disable=SC2206 # NODE_MVN_ARGS is deliberately word-split
    [[ -n ${NODE_MVN_ARGS:-} ]] && mvn+=($NODE_MVN_ARGS)
    local -a goals=(compile dependency:build-classpath "-Dmdep.outputFile=$cpfile")
    command -v mvn >/dev/null 2>&1 || jvmnode_die "mvn not found on PATH"
    jvmnode_log "resolving and compiling the launcher with Maven (log: $target/mvn.log)"
    rm -f "$stampfile"
    # Offline first (no network round trips when ~/.m2 already has everything), then online.
    if ! "${mvn[@]}" -o "${goals[@]}" >"$target/mvn.log" 2>&1; then
      if ! "${mvn[@]}" "${goals[@]}" >"$target/mvn.log" 2>&1; then
        tail -n 60 "$target/mvn.log" >&2
        jvmnode_die "Maven build failed (full log: $target/mvn.log)"
      fi
    fi
    [[ -s $cpfile ]] || jvmnode_die "Maven wrote no classpath to $cpfile"
    jvmnode_plugin_zips "$target" "$cpfile" "${mvn[@]}"
    printf '%s' "$stamp" >"$stampfile"
  elif [[ ! -f $cls || $src -nt $cls ]]; then
    jvmnode_log "compiling $src"
    mkdir -p "$target/classes"
    "$(jvmnode_java javac)" --release 17 -nowarn -d "$target/classes" -cp "$(<"$cpfile")" "$src" \
      || jvmnode_die "javac failed"
  fi
  [[ -f $cls ]] || jvmnode_die "launcher class $cls missing after build"
}

# Unpack the NODE_PLUGIN_ZIPS (offline first, then online) and append their jars to the
# classpath file. Args: target dir, classpath file, the mvn command.
jvmnode_plugin_zips() {
  local target=$1 cpfile=$2 coord dir jar
  shift 2
  for coord in ${NODE_PLUGIN_ZIPS:-}; do
    dir="$target/plugin-zips/${coord//:/_}"
    rm -rf "$dir"
    local -a unpack=(dependency:unpack "-Dartifact=$coord:zip" "-DoutputDirectory=$dir" -Dmdep.overWriteReleases=true)
    if ! "$@" -o "${unpack[@]}" >>"$target/mvn.log" 2>&1; then
      if ! "$@" "${unpack[@]}" >>"$target/mvn.log" 2>&1; then
        tail -n 30 "$target/mvn.log" >&2
        jvmnode_die "could not unpack plugin $coord (full log: $target/mvn.log)"
      fi
    fi
    for jar in "$dir"/*.jar; do
      [[ -f $jar ]] || jvmnode_die "plugin $coord has no jars in $dir"
      printf ':%s' "$jar" >>"$cpfile"
    done
  done
}

jvmnode_start() {
  local pid url deadline timeout=${NODE_START_TIMEOUT:-180}
  url=$(jvmnode_url)
  mkdir -p "$NODE_HOME"
  jvmnode_resolve_home
  jvmnode_lock $((timeout + 300))

  if pid=$(jvmnode_running_pid); then
    # Already ours; it may still be starting up.
    deadline=$((SECONDS + timeout))
    until jvmnode_healthy; do
      if ((SECONDS >= deadline)) || ! kill -0 "$pid" 2>/dev/null; then
        jvmnode_print_logs
        jvmnode_die "pid $pid from $(jvmnode_pidfile) runs but $url is not healthy"
      fi
      sleep 1
    done
    printf '%s\n' "$url"
    return 0
  fi
  rm -f "$(jvmnode_pidfile)"

  jvmnode_port_open "$NODE_PORT" && jvmnode_die "port $NODE_PORT is already in use (not by a node this script started from $NODE_HOME)"
  jvmnode_port_open "$NODE_TPORT" && jvmnode_die "transport port $NODE_TPORT is already in use"

  jvmnode_build

  local java
  java=$(jvmnode_java java)
  command -v "$java" >/dev/null 2>&1 || jvmnode_die "java not found (set JAVA_HOME)"
  local -a jvm=(
    "-Xms$NODE_HEAP" "-Xmx$NODE_HEAP"
    -XX:+UseG1GC -XX:-OmitStackTraceInFastThrow -XX:+ExitOnOutOfMemoryError
    -Dfile.encoding=UTF-8 "-Djava.locale.providers=SPI,COMPAT" -Djna.nosys=true
    -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true -Dio.netty.recycler.maxCapacityPerThread=0
    -Dlog4j2.disable.jmx=true -Dlog4j.shutdownHookEnabled=false
    "-Dlog4j2.configurationFile=$NODE_SRC/log4j2.xml"
    "-Dportcullis.log.file=$NODE_HOME/$NODE_LABEL.log"
    "-Djava.io.tmpdir=$NODE_HOME/tmp"
  )
  # shellcheck disable=SC2206 # NODE_JAVA_OPTS is deliberately word-split
  [[ -n ${NODE_JAVA_OPTS:-} ]] && jvm+=($NODE_JAVA_OPTS)
  mkdir -p "$NODE_HOME/tmp"

  # setsid: own session, so a Ctrl-C or hangup of the calling shell does not reach the node.
  local -a launcher=()
  command -v setsid >/dev/null 2>&1 && launcher=(setsid)
  local target=${NODE_TARGET:-$NODE_SRC/target}
  "${launcher[@]}" "$java" "${jvm[@]}" -cp "$target/classes:$(<"$target/classpath.txt")" \
    "$NODE_MAIN" "$NODE_HOME" "$NODE_PORT" "$NODE_TPORT" \
    </dev/null >"$NODE_HOME/stdout.log" 2>&1 9>&- &
  pid=$!
  printf '%s\n' "$pid" >"$(jvmnode_pidfile)"

  deadline=$((SECONDS + timeout))
  until jvmnode_healthy; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$(jvmnode_pidfile)"
      jvmnode_print_logs
      jvmnode_die "node process $pid exited before $url became healthy"
    fi
    if ((SECONDS >= deadline)); then
      jvmnode_print_logs
      jvmnode_stop >/dev/null
      jvmnode_die "$url not yellow/green after ${timeout}s; node stopped"
    fi
    sleep 0.5
  done
  printf '%s\n' "$url"
}

jvmnode_stop() {
  local pid pf timeout=${NODE_STOP_TIMEOUT:-30} deadline
  jvmnode_resolve_home
  # Wait as long as a concurrent start may hold the lock (build + health wait).
  [[ -d $NODE_HOME ]] && jvmnode_lock $((${NODE_START_TIMEOUT:-180} + 300))
  pf=$(jvmnode_pidfile)
  if ! pid=$(jvmnode_running_pid); then
    [[ -f $pf ]] && jvmnode_log "removing stale pid file $pf"
    rm -f "$pf"
    printf 'stopped\n'
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + timeout))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      jvmnode_log "pid $pid still alive after ${timeout}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
      break
    fi
    sleep 0.2
  done
  rm -f "$pf"
  printf 'stopped\n'
}

jvmnode_status() {
  local pid
  jvmnode_resolve_home
  if pid=$(jvmnode_running_pid); then
    if jvmnode_healthy; then
      printf 'running %s (pid %s)\n' "$(jvmnode_url)" "$pid"
    else
      printf 'running %s (pid %s, not healthy yet)\n' "$(jvmnode_url)" "$pid"
    fi
    return 0
  fi
  printf 'stopped\n'
  return 1
}

jvmnode_main() {
  case "${1:-}" in
    start) jvmnode_start ;;
    stop) jvmnode_stop ;;
    status) jvmnode_status ;;
    *)
      printf 'usage: %s start|stop|status\n' "$0" >&2
      return 2
      ;;
  esac
}
