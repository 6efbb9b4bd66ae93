#!/usr/bin/env bash
# Builds the desktop client's app image and installers with the JDK's own jlink and jpackage.
# Run by `./mvnw -Pdist -DskipTests package` (client-fx/pom.xml, profile "dist") after Maven has
# built the jar and copied the dependencies into target/jpackage/{app,javafx}.
#
#   target/jpackage/runtime   trimmed Java runtime: the JDK modules jdeps finds, plus JavaFX
#   target/dist/Tandem/       the app image (launcher bin/Tandem; Tandem.exe / Tandem.app elsewhere)
#   target/dist/*.deb, .rpm   Linux installers (.rpm only where rpmbuild exists)
#   target/dist/*.msi, .dmg   Windows / macOS installers (the release workflow's runners)
#
# Usage: build-app.sh TARGET_DIR JAR_NAME VERSION  (JAVA_HOME: a JDK 17 or newer)
set -euo pipefail

target=$1 jar=$2 version=$3
here=$(cd "$(dirname "$0")" && pwd)
bin="$JAVA_HOME/bin"
work="$target/jpackage"
dist="$target/dist"
case "$(uname -s)" in
  Linux*) os=linux ;;
  Darwin*) os=mac ;;
  MINGW* | MSYS* | CYGWIN*) os=windows ;;
  *) echo "build-app.sh: unknown OS $(uname -s)" >&2; exit 1 ;;
esac
# Installers want a numeric version: 0.1.0-SNAPSHOT is packaged as 0.1.0 (the About box and
# --version still say 0.1.0-SNAPSHOT).
numeric=${version%%-*}

rm -rf "$work/runtime" "$dist"
mkdir -p "$dist"
cp "$target/$jar" "$work/app/"

# JavaFX: only the platform jars (javafx-graphics-21.0.11-linux.jar ...) are modules with code;
# the ones without a classifier are empty placeholders that Maven resolves them through.
fx=()
for f in "$work"/javafx/javafx-*.jar; do
  [[ $(basename "$f") =~ ^javafx-[a-z]+-[0-9.]+-[a-z0-9-]+\.jar$ ]] && fx+=("$f")
done
[ ${#fx[@]} -gt 0 ] || { echo "build-app.sh: no JavaFX platform jars in $work/javafx" >&2; exit 1; }
sep=:; [ $os = windows ] && sep=';'
fxpath=$(IFS=$sep; echo "${fx[*]}")

# The JDK modules the application uses, found by jdeps rather than listed by hand, plus the ones
# loaded as services that jdeps cannot see: jdk.crypto.ec (TLS to wss:// hubs on JDK 17),
# jdk.localedata is left out (the UI is in English).
modules=$("$bin/jdeps" -q --multi-release 17 --ignore-missing-deps --print-module-deps \
  --module-path "$fxpath" --class-path "$work/app/*" "$work"/app/*.jar)
modules="$modules,jdk.crypto.ec"
echo "build-app.sh: runtime modules: $modules"

# No --compress: the image is compressed in the installer anyway, and uncompressed modules load
# faster at start-up. --generate-cds-archive writes the JDK's default CDS archive for this runtime.
"$bin/jlink" --module-path "$fxpath" --add-modules "$modules" \
  --strip-debug --no-header-files --no-man-pages --generate-cds-archive \
  --output "$work/runtime"

# JavaFX's native libraries sit inside javafx-graphics-*.jar; at each start JavaFX would extract
# them to ~/.openjfx/cache. Put beside the runtime's own libraries, they are loaded from there.
natives="$work/natives"
rm -rf "$natives" && mkdir -p "$natives"
graphics=$(printf '%s\n' "${fx[@]}" | grep '/javafx-graphics-')
(cd "$natives" && "$bin/jar" xf "$graphics")
libdir="$work/runtime/lib"; [ $os = windows ] && libdir="$work/runtime/bin"
find "$natives" -maxdepth 1 -type f \( -name '*.so' -o -name '*.dll' -o -name '*.dylib' \) -exec cp {} "$libdir/" \;

# Application class-data sharing: a static CDS archive of the classes a start-up loads (the
# committed class list, refreshed with packaging/update-classlist.sh), dumped with this runtime
# and the app's class path. The launcher maps it with -XX:SharedArchiveFile; if it does not fit
# (another runtime, moved jars) the JVM silently starts without it.
classpath=()
for f in "$work"/app/*.jar; do classpath+=("$f"); done
"$work/runtime/bin/java" -Xshare:dump -XX:SharedClassListFile="$here/classlist" \
  -XX:SharedArchiveFile="$work/tandem.jsa" -cp "$(IFS=$sep; echo "${classpath[*]}")" -Xlog:cds=off -Xlog:cds+dynamic=off \
  > "$work/cds-dump.log" 2>&1 || { cat "$work/cds-dump.log" >&2; echo "build-app.sh: CDS dump failed" >&2; exit 1; }
cp "$work/tandem.jsa" "$work/app/"

icon="$here/tandem.png"
[ $os = windows ] && icon="$here/tandem.ico"
common=(--name Tandem --app-version "$numeric" --vendor "Tandem"
  --description "Real-time collaborative text editor"
  --copyright "Tandem contributors")
image_opts=(--input "$work/app" --main-jar "$jar" --main-class dev.tandem.client.Main
  --runtime-image "$work/runtime"
  --java-options "-XX:SharedArchiveFile=\$APPDIR/tandem.jsa"
  --java-options "-Xshare:auto"
  --java-options "--enable-native-access=javafx.graphics")
[ $os != mac ] && image_opts+=(--icon "$icon")

"$bin/jpackage" --type app-image "${common[@]}" "${image_opts[@]}" --dest "$dist"
echo "build-app.sh: app image in $dist/Tandem"

case $os in
  linux)
    # The desktop entry (resources/Tandem.desktop) also registers Tandem for tandem:// and
    # tandems:// links, so clicking an invite opens the room.
    linux=(--linux-package-name tandem --linux-app-category editors --linux-menu-group "Office;TextEditor"
      --linux-shortcut --resource-dir "$here/linux" --icon "$icon")
    "$bin/jpackage" --type deb "${common[@]}" --app-image "$dist/Tandem" "${linux[@]}" --dest "$dist"
    if command -v rpmbuild > /dev/null; then
      "$bin/jpackage" --type rpm "${common[@]}" --app-image "$dist/Tandem" "${linux[@]}" --dest "$dist"
    else
      echo "build-app.sh: no rpmbuild here, so no .rpm"
    fi ;;
  windows)
    "$bin/jpackage" --type msi "${common[@]}" --app-image "$dist/Tandem" --win-menu --win-shortcut \
      --win-upgrade-uuid 5f0c7c1e-7d1a-4a53-9a52-3b0d0c7e2a91 --dest "$dist" ;;
  mac)
    "$bin/jpackage" --type dmg "${common[@]}" --app-image "$dist/Tandem.app" --dest "$dist" ;;
esac
ls -la "$dist"
