# Sourced by bin/compile and bin/release. runnable_jars: the jars Maven (target/) or Gradle
# (build/libs/) built that run with `java -jar` (their manifest names a Main-Class), one a
# line. Sources, javadoc and test jars are left out, and so are the jars a fat jar was made
# from (Spring Boot's -plain, the shade plugin's original-). Names that a shell would split
# or expand are left out too: the web command is a shell line.
runnable_jars() {
  local jar
  for jar in target/*.jar build/libs/*.jar; do
    [ -f "$jar" ] || continue
    case "$jar" in
      *-sources.jar | *-javadoc.jar | *-tests.jar | *-test.jar | *-plain.jar | */original-*.jar) continue ;;
    esac
    [[ "$jar" =~ ^[A-Za-z0-9._/+-]+$ ]] || continue
    has_main_class "$jar" && echo "$jar"
  done
}

# has_main_class JAR: its META-INF/MANIFEST.MF has a Main-Class (Python reads the zip: the
# stack has it, and a JRE has no jar tool).
has_main_class() {
  python3 - "$1" <<'PY'
import sys, zipfile
try:
    with zipfile.ZipFile(sys.argv[1]) as jar:
        manifest = jar.read("META-INF/MANIFEST.MF").decode("utf-8", "replace")
except (KeyError, OSError, zipfile.BadZipFile):
    sys.exit(1)
sys.exit(0 if any(line.startswith("Main-Class:") for line in manifest.splitlines()) else 1)
PY
}
