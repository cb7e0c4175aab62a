# Sourced by a buildpack's bin/compile. export_config ENV_DIR: the app's config into the
# build's environment (a build step may read it, as on Heroku), except what would change
# how the build itself runs.
export_config() {
  local file name
  for file in "$1"/*; do
    [ -f "$file" ] || continue
    name=$(basename "$file")
    case "$name" in PATH | GIT_DIR | CPATH | CPPATH | LD_PRELOAD | LIBRARY_PATH | LD_LIBRARY_PATH) continue ;; esac
    export "$name=$(cat "$file")"
  done
}
