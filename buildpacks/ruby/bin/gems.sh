# Sourced by bin/compile: what Gemfile.lock says of where the gems come from.

# gem_sources DIR: the gem sources (remotes) the app's Gemfile.lock names, else its Gemfile's
# `source` lines, comma-separated.
gem_sources() {
  local sources=
  [ ! -f "$1/Gemfile.lock" ] ||
    sources=$(awk '/^[^ ]/ { section = $0 } section == "GEM" && $1 == "remote:" { print $2 }' "$1/Gemfile.lock")
  [ -n "$sources" ] || sources=$(sed -n "s/^[[:space:]]*source[[:space:](]*[\"']\([^\"']*\)[\"'].*/\1/p" "$1/Gemfile")
  echo "${sources:-the gem source}" | paste -sd, - | sed 's/,/, /g'
}

# gems_not_cached DIR: the gems DIR/Gemfile.lock locks from a gem source ("name version" a line,
# the version with its platform) that DIR/vendor/cache has no .gem file of.
gems_not_cached() {
  local name version
  awk '/^[^ ]/ { section = $0 } section == "GEM" && /^    [^ ]/ { print $1, substr($2, 2, length($2) - 2) }' \
    "$1/Gemfile.lock" |
    while read -r name version; do
      [ -f "$1/vendor/cache/$name-$version.gem" ] || echo "$name $version"
    done
}
