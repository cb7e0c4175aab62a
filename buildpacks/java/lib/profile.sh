# Copied to the app's .profile.d/java.sh: run before every process, it gives JAVA_OPTS a heap
# sized from the container's memory limit, as Heroku sizes it from the dyno's (-Xmx300m of
# 512 MB, -Xmx671m of 1 GB), unless the app's JAVA_OPTS sizes the heap itself.

# java_memory_opts [CGROUP_ROOT]: the options for this container's memory limit (cgroup v2
# or v1); none without a limit, where the JVM's default (a quarter of the host's memory)
# suits a host that runs many apps.
java_memory_opts() {
  local root=${1:-/sys/fs/cgroup} limit=
  if [ -r "$root/memory.max" ]; then
    limit=$(cat "$root/memory.max")
  elif [ -r "$root/memory/memory.limit_in_bytes" ]; then
    limit=$(cat "$root/memory/memory.limit_in_bytes")
  fi
  # "max" (v2), or a number near 2^63 (v1): no limit.
  case "$limit" in '' | *[!0-9]*) return 0 ;; esac
  [ "${#limit}" -le 15 ] || return 0
  if [ "$limit" -le $((1024 * 1024 * 1024)) ]; then
    echo "-XX:MaxRAMPercentage=60.0 -Xss512k -XX:CICompilerCount=2"
  else
    echo "-XX:MaxRAMPercentage=75.0"
  fi
}

case "${JAVA_OPTS:-}" in
  *-Xmx* | *RAMPercentage=*) ;;
  *) JAVA_OPTS="$(java_memory_opts) -Dfile.encoding=UTF-8 ${JAVA_OPTS:-}" ;;
esac
JAVA_OPTS=${JAVA_OPTS# }
export JAVA_OPTS="${JAVA_OPTS% }"
