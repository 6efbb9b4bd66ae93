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

rm -rf "$work/runtime" "$dist" "$work/app/tandem.jsa"
mkdir -p "$dist"
cp "$target/$jar" "$work/app/"
cp "$here/classlist" "$work/app/" # the .deb's postinst dumps the CDS archive from it again

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

icon="$here/tandem.png"
[ $os = windows ] && icon="$here/tandem.ico"
common=(--name Tandem --app-version "$numeric" --vendor "Tandem"
  --description "Real-time collaborative text editor"
  --copyright "Tandem contributors")
image_opts=(--input "$work/app" --main-jar "$jar" --main-class dev.tandem.client.Main
  --runtime-image "$work/runtime"
  --java-options "-XX:SharedArchiveFile=\$APPDIR/tandem.jsa"
  --java-options "-Xshare:auto"
  --java-options "-Xlog:cds=off,cds+dynamic=off"
  --java-options "--enable-native-access=javafx.graphics")
[ $os != mac ] && image_opts+=(--icon "$icon")

"$bin/jpackage" --type app-image "${common[@]}" "${image_opts[@]}" --dest "$dist"
echo "build-app.sh: app image in $dist/Tandem"

# Application class-data sharing: a static CDS archive of the classes a start-up loads (the
# committed class list, recorded with packaging/update-classlist.sh), dumped with the image's own
# runtime and exactly the launcher's class path (read from its .cfg, in its order). The launcher
# maps it with -XX:SharedArchiveFile; if it does not fit (another runtime, other jars) the JVM
# starts without it, only slower. -Xlog:cds=off keeps that case quiet. Java 17 maps an archive
# only for the class path it was dumped with, so an image moved elsewhere (the .deb installs it
# in /opt/tandem) needs its own dump: the .deb's postinst makes it (linux/postinst).
appdir="$dist/Tandem/lib/app"
[ $os = mac ] && appdir="$dist/Tandem.app/Contents/app"
java="$dist/Tandem/lib/runtime/bin/java"
[ $os = mac ] && java="$dist/Tandem.app/Contents/runtime/Contents/Home/bin/java"
[ $os = windows ] && java="$dist/Tandem/runtime/bin/java"
[ $os = windows ] && appdir="$dist/Tandem/app"
image_classpath() {
  local cp=() line
  while IFS= read -r line; do
    line=${line%$'\r'}
    case $line in app.classpath=*) cp+=("$appdir/${line#app.classpath=\$APPDIR/}") ;; esac
  done < "$appdir/Tandem.cfg"
  (IFS=$sep; echo "${cp[*]}")
}
"$java" -Xshare:dump -XX:SharedClassListFile="$appdir/classlist" -XX:SharedArchiveFile="$appdir/tandem.jsa" \
  -cp "$(image_classpath)" > "$work/cds-dump.log" 2>&1 \
  || { cat "$work/cds-dump.log" >&2; echo "build-app.sh: CDS dump failed" >&2; exit 1; }
echo "build-app.sh: CDS archive $(du -h "$appdir/tandem.jsa" | cut -f1) from $(grep -c . "$here/classlist") classes listed"


# TANDEM_DIST_APP_IMAGE_ONLY=1: stop here (start-up measurements, the class list).
[ "${TANDEM_DIST_APP_IMAGE_ONLY:-0}" = 1 ] && exit 0

# Installers get the image without its archive: it only fits this directory (see above).
installer_image="$work/installer-image"
rm -rf "$installer_image" && mkdir -p "$installer_image"
if [ $os = mac ]; then image_name=Tandem.app; else image_name=Tandem; fi
cp -R "$dist/$image_name" "$installer_image/"
find "$installer_image" -name tandem.jsa -delete
src="$installer_image/$image_name"

case $os in
  linux)
    # The desktop entry (linux/Tandem.desktop, installed as tandem-Tandem.desktop) also registers Tandem for tandem:// and
    # tandems:// links, so clicking an invite opens the room.
    linux=(--linux-package-name tandem --linux-app-category editors --linux-menu-group "Office;TextEditor"
      --linux-shortcut --resource-dir "$here/linux" --icon "$icon")
    "$bin/jpackage" --type deb "${common[@]}" --app-image "$src" "${linux[@]}" --dest "$dist"
    if command -v rpmbuild > /dev/null; then
      "$bin/jpackage" --type rpm "${common[@]}" --app-image "$src" "${linux[@]}" --dest "$dist"
    else
      echo "build-app.sh: no rpmbuild here, so no .rpm"
    fi ;;
  windows)
    "$bin/jpackage" --type msi "${common[@]}" --app-image "$src" --win-menu --win-shortcut \
      --win-upgrade-uuid 5f0c7c1e-7d1a-4a53-9a52-3b0d0c7e2a91 --dest "$dist" ;;
  mac)
    "$bin/jpackage" --type dmg "${common[@]}" --app-image "$src" --dest "$dist" ;;
esac
ls -la "$dist"
