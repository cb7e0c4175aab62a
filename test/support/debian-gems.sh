#!/bin/bash
# Makes .gem files of Debian's ruby-* packages (no gem registry is reachable where the tests
# run): the named gems and every gem they depend on that Debian packages. The ruby fixtures'
# vendor/cache came from, e.g.
#   docker run --rm -v "$PWD/test/fixtures/ruby-app/vendor/cache:/out" \
#     -v "$PWD/test/support/debian-gems.sh:/debian-gems.sh:ro" \
#     slipway/stack:bookworm-build-ruby /debian-gems.sh rack webrick
# (test/fixtures/rails-app: railties activerecord actionpack sprockets-rails pg mysql2 webrick).
# A gem with a C extension (pg, mysql2, nokogiri) is packaged by Debian already compiled, so it
# becomes a precompiled platform gem (x86_64-linux), as RubyGems serves nokogiri: its lib/ and
# its .so files, which load Debian's libpq5/libmariadb3/libxml2 that the run image has.
set -eo pipefail
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(printf 'ruby-%s ' "$@") >/dev/null
cd /out
ruby -rfileutils -rtmpdir -rrubygems/package -e '
  def debian_spec(name)
    # The ruby-* packages, then the gems Ruby bundles (minitest...): not its default gems,
    # which every bundle has.
    path = Dir["/usr/{share,lib/*}/rubygems-integration/*/specifications/#{name}-[0-9]*.gemspec",
               "/usr/lib/ruby/gems/*/specifications/#{name}-[0-9]*.gemspec"].first
    path && [path, Gem::Specification.load(path)]
  end

  # The files of a gem whose files Debian put in vendor_ruby (the ones with compiled code):
  # the Ruby files and the .so files, each at its path under lib/.
  def stage_vendor_ruby(spec_path, spec, dir)
    package = `dpkg -S #{spec_path}`.split(":").first
    `dpkg -L #{package}`.split("\n").each do |file|
      relative = file[%r{^/usr/lib/ruby/vendor_ruby/(.+)$}, 1] || file[%r{^/usr/lib/[^/]+/ruby/vendor_ruby/[0-9.]+/(.+)$}, 1]
      next unless relative && File.file?(file)
      FileUtils.mkdir_p(File.dirname("#{dir}/lib/#{relative}"))
      FileUtils.cp(file, "#{dir}/lib/#{relative}")
    end
    spec.require_paths = ["lib"]
    compiled(spec) unless Dir["#{dir}/lib/**/*.so"].empty?
  end

  def compiled(spec)
    spec.extensions = []
    spec.platform = Gem::Platform.local
  end

  wanted = ARGV.dup
  done = {}
  until wanted.empty?
    name = wanted.shift
    next if done[name]
    done[name] = true
    spec_path, spec = debian_spec(name)
    next unless spec # a default gem of Ruby itself (no package of its own)
    wanted.concat(spec.runtime_dependencies.map(&:name))
    Dir.mktmpdir do |dir|
      gem_dir = spec_path.sub("/specifications/", "/gems/").sub(/\.gemspec$/, "")
      if File.directory?(gem_dir) && Dir.exist?("#{gem_dir}/lib")
        FileUtils.cp_r("#{gem_dir}/.", dir)
        unless spec.extensions.empty? # compiled in place: its .so files are in extensions/
          built = Dir["#{spec_path.sub(%r{/specifications/.*}, "")}/extensions/*/*/#{spec.full_name}"].first
          Dir.chdir(built) { Dir["**/*.so"] }.each do |so|
            FileUtils.mkdir_p(File.dirname("#{dir}/lib/#{so}"))
            FileUtils.cp("#{built}/#{so}", "#{dir}/lib/#{so}")
          end
          compiled(spec)
        end
      else
        stage_vendor_ruby(spec_path, spec, dir)
      end
      Dir.chdir(dir) do
        spec.test_files = [] # Debian ships no tests
        spec.executables = spec.executables.select { |e| File.file?("#{spec.bindir}/#{e}") }
        spec.extra_rdoc_files = spec.extra_rdoc_files.select { |f| File.file?(f) }
        spec.files = Dir["**/*"].select { |f| File.file?(f) }
        FileUtils.mv(Gem::Package.build(spec), "/out/#{spec.file_name}")
      end
    end
  end
' "$@"
