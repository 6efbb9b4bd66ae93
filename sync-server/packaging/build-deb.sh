#!/usr/bin/env bash
# Builds the hub's Debian package, target/dist/tandem-hub_VERSION_ARCH.deb, with dpkg-deb:
#   /usr/lib/tandem-hub/tandem-hub.jar   the one-jar (target/tandem-hub.jar)
#   /usr/lib/tandem-hub/runtime/         a jlink-trimmed Java runtime (modules found by jdeps)
#   /usr/lib/tandem-hub/classlist        classes for the application CDS archive (hub.jsa, made by postinst)
#   /usr/bin/tandem-hub                  the command (serve, cat, append, load)
#   /etc/tandem/hub.conf                 configuration (a conffile: upgrades keep local edits)
#   /lib/systemd/system/tandem-hub.service, the "tandem" system user, /var/lib/tandem (postinst)
# Run by `./mvnw -Pdist -DskipTests package` (sync-server/pom.xml, profile "dist") after the shade.
# Why dpkg-deb and an own runtime rather than jpackage, or a dependency on the distribution's
# Java: see docs/hub.md, "Deploying".
#
# Usage: build-deb.sh TARGET_DIR VERSION   (JAVA_HOME: a JDK 17 or newer)
set -euo pipefail
target=$1 version=$2
here=$(cd "$(dirname "$0")" && pwd)
bin="$JAVA_HOME/bin"

if [ "$(uname -s)" != Linux ] || ! command -v dpkg-deb > /dev/null; then
  echo "build-deb.sh: the hub's .deb is built on Linux with dpkg-deb; skipped here"
  exit 0
fi

arch=$(dpkg --print-architecture)
# Debian orders 0.1.0~SNAPSHOT before 0.1.0, as Maven does.
debversion=${version//-/\~}
work="$target/deb"
root="$work/root"
rm -rf "$work" "$target/dist"
mkdir -p "$root/DEBIAN" "$root/usr/lib/tandem-hub" "$root/usr/bin" "$root/etc/tandem" \
  "$root/lib/systemd/system" "$root/usr/share/doc/tandem-hub" "$target/dist"

cp "$target/tandem-hub.jar" "$root/usr/lib/tandem-hub/"
# The classes a hub loads to start and serve (update-classlist.sh records it); the postinst dumps
# the application CDS archive from it where the jar is installed (Java 17 maps an archive only
# for the class path it was dumped with).
cp "$here/classlist" "$root/usr/lib/tandem-hub/classlist"
# jdk.crypto.ec: loaded as a service (TLS to other hosts, e.g. `cat wss://...`), invisible to jdeps.
modules=$("$bin/jdeps" -q --multi-release 17 --ignore-missing-deps --print-module-deps "$target/tandem-hub.jar")
modules="$modules,jdk.crypto.ec"
echo "build-deb.sh: runtime modules: $modules"
"$bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
  --generate-cds-archive --output "$root/usr/lib/tandem-hub/runtime"

install -m 0755 "$here/deb/tandem-hub" "$root/usr/bin/tandem-hub"
install -m 0755 "$here/deb/healthcheck" "$root/usr/lib/tandem-hub/healthcheck"
install -m 0644 "$here/deb/hub.conf" "$root/etc/tandem/hub.conf"
install -m 0644 "$here/deb/tandem-hub.service" "$root/lib/systemd/system/tandem-hub.service"
install -m 0755 "$here/deb/postinst" "$here/deb/prerm" "$here/deb/postrm" "$root/DEBIAN/"
echo /etc/tandem/hub.conf > "$root/DEBIAN/conffiles"
cat > "$root/usr/share/doc/tandem-hub/copyright" <<'TXT'
Tandem hub. Includes a Java runtime (OpenJDK, GPLv2 with the Classpath Exception) and the
libraries listed in the jar's META-INF (Jetty, Jackson, SQLite JDBC, picocli, Micrometer).
TXT
size=$(du -sk "$root" | cut -f1)
sed -e "s/@VERSION@/$debversion/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" "$here/deb/control" > "$root/DEBIAN/control"

# Root owns everything in the package whoever builds it.
dpkg-deb --root-owner-group -Zxz --build "$root" "$target/dist/tandem-hub_${debversion}_${arch}.deb"
ls -la "$target/dist"
