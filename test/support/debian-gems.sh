#!/bin/bash
# Makes .gem files of Debian's ruby-* packages (no gem registry is reachable where the tests
# run): the ruby fixture's vendor/cache came from
#   docker run --rm -v "$PWD/test/fixtures/ruby-app/vendor/cache:/out" \
#     -v "$PWD/test/support/debian-gems.sh:/debian-gems.sh:ro" \
#     slipway/stack:bookworm-build-ruby /debian-gems.sh rack webrick
set -eo pipefail
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(printf 'ruby-%s ' "$@") >/dev/null
cd /out
ruby -rfileutils -rrubygems/package -e '
  ARGV.each do |name|
    spec = Gem::Specification.load(Dir["/usr/share/rubygems-integration/all/specifications/#{name}-[0-9]*.gemspec"].first)
    Dir.chdir("/usr/share/rubygems-integration/all/gems/#{spec.full_name}") do
      spec.files = Dir["**/*"].select { |f| File.file?(f) }
      FileUtils.mv(Gem::Package.build(spec), "/out/#{spec.file_name}")
    end
  end
' "$@"
