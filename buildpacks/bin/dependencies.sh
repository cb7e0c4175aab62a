# Sourced by a buildpack's bin/compile: tells Slipway which cache key its dependencies
# directory was made from, so the next build can reuse that image layer instead of copying
# the directory back in. /app/.slipway-dependencies holds the key, and "reused" when the
# directory was left out because Slipway said it still has that layer
# (SLIPWAY_REUSABLE_DEPENDENCIES); Slipway never puts the file in the image.

# restore_dependencies DIR CACHED KEY WHAT WHY: DIR in /app from the cache copy CACHED, or
# nothing at all when Slipway can reuse the layer made from KEY.
restore_dependencies() {
  local dir=$1 cached=$2 key=$3 what=$4 why=$5
  if [ -n "$key" ] && [ "${SLIPWAY_REUSABLE_DEPENDENCIES:-}" = "$key" ]; then
    echo "-----> Reusing $what from the last build's image ($why)"
    echo "$key reused" > /app/.slipway-dependencies
  else
    echo "-----> Restoring $what from the build cache ($why)"
    rm -rf "$dir" && cp -a "$cached" "$dir"
    dependencies_made_from "$key"
  fi
}

# dependencies_made_from KEY: the dependencies directory now in /app is what KEY describes
# (no KEY: it is not offered for reuse).
dependencies_made_from() {
  [ -z "$1" ] || echo "$1" > /app/.slipway-dependencies
}
