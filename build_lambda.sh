#!/usr/bin/env bash
# Builds the Lambda deployment package (default: lambda.zip at the repository root):
#   index.js        the handlers (src/index.ts) bundled by esbuild, AWS SDK v3 included
#   clamav/bin/     clamd, clamscan, clamdscan, freshclam, sigtool (ClamAV 1.4, Debian 12 packages)
#   clamav/lib/     every shared library they load, the dynamic loader and glibc they were built
#                   with; gconv/ holds glibc's iconv modules (libclamav decodes UTF-16 text with
#                   them), found through GCONV_PATH=<this dir>/gconv
#   clamav/certs/   Mozilla's CA certificates (Debian's ca-certificates) for freshclam over HTTPS,
#                   found through CURL_CA_BUNDLE=<this dir>/ca-certificates.crt
#   clamav/PACKAGES the Debian packages the files come from; clamav/licenses/ their copyright files
# The programs are started as `clamav/lib/<loader> --library-path clamav/lib clamav/bin/<tool>`
# (src/clamd/binaries.ts), so they never use the host's glibc: Debian 12's glibc 2.36 runs on
# Lambda's Amazon Linux 2023 (glibc 2.34). No container engine is needed: packages are fetched
# with `apt-get download` into a cache and unpacked with `dpkg-deb -x`.
#
# Same inputs (package versions, node_modules, sources, SOURCE_DATE_EPOCH) give the same zip,
# byte for byte. See docs/lambda-zip.md.
set -euo pipefail

readonly LAMBDA_MAX_UNZIPPED_BYTES=262144000 # 250 MB, Lambda's limit for an unzipped package
readonly ROOT_PACKAGES=(clamav clamav-daemon clamav-freshclam clamdscan libclamav12)
readonly TOOLS=(clamd clamscan clamdscan freshclam sigtool)
# Opened at run time (dlopen), so no ELF header names them: glibc's NSS modules for host and
# DNS lookups (built into libc 2.36, shipped for older nsswitch.conf entries) and its resolver.
readonly RUNTIME_LIBS=(libnss_dns.so.2 libnss_files.so.2 libresolv.so.2)

usage() {
  cat <<'EOF'
Usage: ./build_lambda.sh [--arch x86_64|arm64] [--out FILE] [--cache-dir DIR]

  --arch       target architecture of the Lambda function (default x86_64). arm64 registers
               dpkg's arm64 architecture and runs apt-get update once (root needed).
  --out        the zip to write (default: lambda.zip in the repository root)
  --cache-dir  where downloaded .deb files are kept between builds (default: build/cache)

Environment: SOURCE_DATE_EPOCH sets the timestamp of every zip entry (default 1980-01-01).
EOF
}

fail() {
  echo "build_lambda.sh: error: $*" >&2
  exit 1
}

step() {
  echo "==> [$((SECONDS - started)) s] $*"
}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
arch=x86_64
out=$repo/lambda.zip
cache_root=$repo/build/cache

while (($# > 0)); do
  case $1 in
    --arch)
      (($# >= 2)) || fail "--arch needs a value (x86_64 or arm64)"
      arch=$2
      shift 2
      ;;
    --arch=*)
      arch=${1#--arch=}
      shift
      ;;
    --out)
      (($# >= 2)) || fail "--out needs a file name"
      out=$2
      shift 2
      ;;
    --out=*)
      out=${1#--out=}
      shift
      ;;
    --cache-dir)
      (($# >= 2)) || fail "--cache-dir needs a directory"
      cache_root=$2
      shift 2
      ;;
    --cache-dir=*)
      cache_root=${1#--cache-dir=}
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      fail "unknown argument: $1"
      ;;
  esac
done

case $arch in
  x86_64 | amd64)
    arch=x86_64
    deb_arch=amd64
    triplet=x86_64-linux-gnu
    loader=ld-linux-x86-64.so.2
    elf_machine='Advanced Micro Devices X86-64'
    ;;
  arm64 | aarch64)
    arch=arm64
    deb_arch=arm64
    triplet=aarch64-linux-gnu
    loader=ld-linux-aarch64.so.1
    elf_machine='AArch64'
    ;;
  *) fail "unsupported --arch '$arch' (use x86_64 or arm64)" ;;
esac

[[ $out == /* ]] || out=$PWD/$out
[[ $cache_root == /* ]] || cache_root=$PWD/$cache_root
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-315532800}
[[ $SOURCE_DATE_EPOCH =~ ^[0-9]+$ ]] || fail "SOURCE_DATE_EPOCH must be seconds since the epoch, got '$SOURCE_DATE_EPOCH'"
((SOURCE_DATE_EPOCH >= 315532800)) || fail "SOURCE_DATE_EPOCH must be 1980-01-01 (315532800) or later: zip cannot store earlier times"

for command in apt-get apt-cache dpkg dpkg-deb readelf zip sha256sum flock node; do
  command -v "$command" >/dev/null || fail "'$command' is required but not installed"
done
esbuild=$repo/node_modules/.bin/esbuild
[[ -x $esbuild ]] || fail "esbuild not found at $esbuild: run 'npm ci' first"

started=$SECONDS
cache=$cache_root/$deb_arch
work=$repo/build/lambda-$deb_arch
mkdir -p "$cache" "$repo/build"

# apt's own binary cache is often disabled (container images): a private one makes each apt call
# take a fraction of a second instead of re-reading every package list.
apt_opts=(-o "Dir::Cache::pkgcache=$cache/apt-pkgcache.bin" -o "Dir::Cache::srcpkgcache=$cache/apt-srcpkgcache.bin")
# As root, apt would fall back to downloading unsandboxed anyway (the cache is not _apt's), with
# a warning on every build.
if ((EUID == 0)); then apt_opts+=(-o APT::Sandbox::User=root); fi

# Two builds of one architecture at a time would share the staging directory.
exec 9>"$work.lock"
flock 9

# --- packages ------------------------------------------------------------------------------------

ensure_architecture() {
  [[ $deb_arch == "$(dpkg --print-architecture)" ]] && return 0
  if ! dpkg --print-foreign-architectures | grep -qx "$deb_arch"; then
    ((EUID == 0)) || fail "packages for $deb_arch need 'dpkg --add-architecture $deb_arch' (run as root once)"
    step "registering dpkg architecture $deb_arch"
    dpkg --add-architecture "$deb_arch"
  fi
  if ! apt-cache "${apt_opts[@]}" show "libc6:$deb_arch" >/dev/null 2>&1; then
    ((EUID == 0)) || fail "no package lists for $deb_arch: run 'apt-get update' as root"
    step "apt-get update (package lists for $deb_arch)"
    apt-get "${apt_opts[@]}" update -qq || fail "apt-get update failed"
    apt-cache "${apt_opts[@]}" show "libc6:$deb_arch" >/dev/null 2>&1 ||
      fail "the package lists still hold no libc6:$deb_arch: does the configured mirror serve $deb_arch?"
  fi
}

# The ClamAV packages and, recursively, the library packages they depend on (shared libraries
# live in packages named lib* and zlib1g). Anything missing is caught by the closure check below.
resolve_packages() {
  local -A seen=()
  local -a level=("${ROOT_PACKAGES[@]}") next specs
  local package dep
  while ((${#level[@]} > 0)); do
    specs=()
    for package in "${level[@]}"; do
      seen[$package]=1
      specs+=("$package:$deb_arch")
    done
    next=()
    # One apt-cache call per level of the dependency tree: each call reads the whole cache.
    while read -r dep; do
      dep=${dep%%:*}
      [[ $dep =~ ^(lib|zlib1g$) && ! $dep =~ -(common|data|dev|doc|bin)$ ]] || continue
      [[ -n ${seen[$dep]:-} ]] && continue
      seen[$dep]=1
      next+=("$dep")
    done < <(apt-cache "${apt_opts[@]}" depends --no-recommends --no-suggests --no-conflicts --no-breaks \
      --no-replaces --no-enhances "${specs[@]}" | sed -n -E 's/^ *\|?(Pre)?Depends: ([^<> ]+)$/\2/p')
    level=("${next[@]}")
  done
  printf '%s\n' "${!seen[@]}" | LC_ALL=C sort
}

ensure_architecture
rm -rf "$work"
mkdir -p "$work/uris"
step "resolving Debian packages for $deb_arch"
mapfile -t packages < <(resolve_packages)
specs=()
for package in "${packages[@]}"; do specs+=("$package:$deb_arch"); done
specs+=(ca-certificates)

# One line per package: 'URL' file size SHA256:hash
# (asked from an empty directory: apt-get leaves out the files already present where it runs)
uris=$(cd "$work/uris" && apt-get "${apt_opts[@]}" download --print-uris "${specs[@]}") || fail "apt-get could not locate the packages: ${specs[*]}"
declare -A deb_sha=()
missing=()
while read -r _url file _size hash; do
  [[ $hash == SHA256:* ]] || fail "apt-get printed no SHA256 for $file"
  deb_sha[$file]=${hash#SHA256:}
  if [[ ! -f $cache/$file ]]; then
    name=${file%%_*}
    if [[ $file == *_all.deb ]]; then missing+=("$name"); else missing+=("$name:$deb_arch"); fi
  fi
done <<<"$uris"
((${#deb_sha[@]} == ${#specs[@]})) || fail "expected ${#specs[@]} packages, apt-get listed ${#deb_sha[@]}"

if ((${#missing[@]} > 0)); then
  step "downloading ${#missing[@]} of ${#deb_sha[@]} packages into $cache"
  (cd "$cache" && apt-get "${apt_opts[@]}" download -q "${missing[@]}" >/dev/null) || fail "apt-get download failed"
else
  step "all ${#deb_sha[@]} packages found in $cache"
fi
for file in "${!deb_sha[@]}"; do
  [[ -f $cache/$file ]] || fail "$file was not downloaded"
  read -r actual _ < <(sha256sum "$cache/$file")
  [[ $actual == "${deb_sha[$file]}" ]] || fail "$cache/$file does not match the SHA256 of the package lists (delete it and build again)"
done

# --- unpack --------------------------------------------------------------------------------------

rootfs=$work/rootfs
stage=$work/stage
mkdir -p "$rootfs" "$stage/clamav/bin" "$stage/clamav/lib" "$stage/clamav/certs" "$stage/clamav/licenses"

step "unpacking ${#deb_sha[@]} packages"
mapfile -t deb_files < <(printf '%s\n' "${!deb_sha[@]}" | LC_ALL=C sort)
# Packages never share a file, so they can be unpacked side by side.
printf '%s\0' "${deb_files[@]/#/$cache/}" | xargs -0 -P "$(nproc)" -I '{}' dpkg-deb -x '{}' "$rootfs" ||
  fail "dpkg-deb could not unpack the packages"

# Resolves a path inside the unpacked tree, following symbolic links (absolute ones are taken
# relative to the tree, never to the build host).
resolve_in_rootfs() {
  local path=$1 target hops=0
  while [[ -L $path ]]; do
    ((hops++ < 40)) || fail "symbolic link loop at $1"
    target=$(readlink "$path")
    if [[ $target == /* ]]; then path=$rootfs$target; else path=${path%/*}/$target; fi
  done
  [[ -f $path ]] || return 1
  printf '%s\n' "$path"
}

find_library() {
  local dir
  for dir in "lib/$triplet" "usr/lib/$triplet" lib usr/lib; do
    if [[ -e $rootfs/$dir/$1 || -L $rootfs/$dir/$1 ]]; then
      resolve_in_rootfs "$rootfs/$dir/$1" && return 0
    fi
  done
  return 1
}

# Prints "<file><TAB><soname>" for each NEEDED entry of the given ELF files (one readelf call).
needed_table() {
  local only=
  (($# == 1)) && only=$1
  readelf -d --wide "$@" | ONLY_FILE=$only awk '
    BEGIN { file = ENVIRON["ONLY_FILE"] }
    /^File: / { file = substr($0, 7); next }
    /\(NEEDED\)/ { name = $0; sub(/.*\[/, "", name); sub(/\].*/, "", name); print file "\t" name }'
}

# Prints "<file><TAB><machine>" for the given ELF files (one readelf call).
machine_table() {
  local only=
  (($# == 1)) && only=$1
  readelf -h "$@" | ONLY_FILE=$only awk '
    BEGIN { file = ENVIRON["ONLY_FILE"] }
    /^File: / { file = substr($0, 7); next }
    /^ *Machine:/ { machine = $0; sub(/^ *Machine: */, "", machine); print file "\t" machine }'
}

# --- assemble ------------------------------------------------------------------------------------

step "collecting programs and their libraries"
scan=()
for tool in "${TOOLS[@]}"; do
  source_file=
  for dir in usr/sbin usr/bin; do
    if [[ -f $rootfs/$dir/$tool ]]; then
      source_file=$rootfs/$dir/$tool
      break
    fi
  done
  [[ -n $source_file ]] || fail "$tool is not in the unpacked packages"
  install -m 0755 "$source_file" "$stage/clamav/bin/$tool"
  scan+=("$stage/clamav/bin/$tool")
done

# glibc finds its iconv modules through GCONV_PATH (see docs/lambda-zip.md); they find their
# helpers (libJIS.so, ...) next to themselves.
gconv_dir=$rootfs/usr/lib/$triplet/gconv
[[ -f $gconv_dir/gconv-modules ]] || fail "glibc's gconv modules are missing from the packages ($gconv_dir)"
cp -R "$gconv_dir" "$stage/clamav/lib/gconv"
mapfile -t -O "${#scan[@]}" scan < <(find "$stage/clamav/lib/gconv" -name '*.so' -type f | LC_ALL=C sort)

# Every library named by a NEEDED entry, transitively, plus the ones opened at run time; each is
# stored once, under the name the loader looks for. One readelf call per level of the tree.
declare -A shipped=() needed_by=()
pending=("$loader" "${RUNTIME_LIBS[@]}")
while ((${#scan[@]} > 0 || ${#pending[@]} > 0)); do
  if ((${#scan[@]} > 0)); then
    while IFS=$'\t' read -r from name; do
      [[ $from == "$stage/clamav/lib/gconv/"* && -f $stage/clamav/lib/gconv/$name ]] && continue
      [[ -n ${needed_by[$name]:-} ]] || needed_by[$name]=${from#"$stage/"}
      pending+=("$name")
    done < <(needed_table "${scan[@]}")
  fi
  scan=()
  for name in "${pending[@]}"; do
    [[ -n ${shipped[$name]:-} ]] && continue
    real=$(find_library "$name") ||
      fail "library $name (needed by ${needed_by[$name]:-the run-time list}) is in none of the downloaded packages"
    install -m 0644 "$real" "$stage/clamav/lib/$name"
    shipped[$name]=1
    scan+=("$stage/clamav/lib/$name")
  done
  pending=()
done
chmod 0755 "$stage/clamav/lib/$loader"
echo "    ${#shipped[@]} libraries"

# Mozilla's CA certificates, concatenated as update-ca-certificates does on Debian.
mapfile -t certificates < <(find "$rootfs/usr/share/ca-certificates/mozilla" -name '*.crt' -type f | LC_ALL=C sort)
((${#certificates[@]} > 0)) || fail "no CA certificates found in the ca-certificates package"
# (awk ends every line, the last one of a file included, with a newline)
awk '{ print }' "${certificates[@]}" >"$stage/clamav/certs/ca-certificates.crt"
echo "    ${#certificates[@]} CA certificates"

{
  echo "# Debian packages this bundle's ClamAV was taken from: name version architecture sha256"
  for file in "${deb_files[@]}"; do
    # apt names its files <package>_<version>_<architecture>.deb, with ':' written '%3a'.
    IFS=_ read -r package version architecture <<<"${file%.deb}"
    echo "$package ${version//%3a/:} $architecture ${deb_sha[$file]}"
    if copyright=$(resolve_in_rootfs "$rootfs/usr/share/doc/$package/copyright"); then
      install -m 0644 "$copyright" "$stage/clamav/licenses/$package.copyright"
    fi
  done
} >"$stage/clamav/PACKAGES"

step "bundling src/index.ts with esbuild (node22, cjs)"
# --keep-names: the named errors take their name from their class (the contract with the state
# machines), and bundling may rename a class whose name another module also uses.
(cd "$repo" && "$esbuild" src/index.ts --bundle --platform=node --target=node22 --format=cjs --keep-names \
  --outfile="$stage/index.js" --log-level=warning) || fail "esbuild failed"
exports=$(node -e 'console.log(Object.keys(require(process.argv[1])).sort().join(" "))' "$stage/index.js") ||
  fail "the bundle cannot be loaded by node"
[[ " $exports " == *" scanFileHandler "* ]] || fail "the bundle does not export scanFileHandler (exports: $exports)"
echo "    index.js exports: $exports"

# --- checks --------------------------------------------------------------------------------------

step "checking ELF headers ($elf_machine) and that every library is in the bundle"
mapfile -t elf_files < <(find "$stage/clamav/bin" "$stage/clamav/lib" -type f \( -path '*/bin/*' -o -name '*.so*' \) |
  LC_ALL=C sort)
checked=0
while IFS=$'\t' read -r file machine; do
  [[ $machine == "$elf_machine" ]] || fail "${file#"$stage/"} is built for '$machine', not '$elf_machine'"
  checked=$((checked + 1))
done < <(machine_table "${elf_files[@]}")
((checked == ${#elf_files[@]})) || fail "readelf read $checked of ${#elf_files[@]} ELF files"
while IFS=$'\t' read -r file name; do
  [[ -f $stage/clamav/lib/$name || -f ${file%/*}/$name ]] || fail "${file#"$stage/"} needs $name, which is not in the bundle"
done < <(needed_table "${elf_files[@]}")
echo "    $checked ELF files"

if [[ $deb_arch == "$(dpkg --print-architecture)" ]]; then
  version=$("$stage/clamav/lib/$loader" --inhibit-cache --library-path "$stage/clamav/lib" \
    "$stage/clamav/bin/clamscan" --version) || fail "the bundled clamscan does not start through the bundled loader"
  echo "    $version"
fi

# --- zip -----------------------------------------------------------------------------------------

step "writing $out"
# Modes do not depend on the umask: Lambda's user must be able to read everything and to run
# the programs and the loader.
find "$stage" -type d -exec chmod 0755 {} +
find "$stage" -type f -exec chmod 0644 {} +
chmod 0755 "$stage/clamav/bin/"* "$stage/clamav/lib/$loader"
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
tmp_zip=$(mktemp "$out.XXXXXX")
rm -f "$tmp_zip"
# Sorted entries, no extra fields (-X: no uid/gid or extended times), no directory entries,
# DOS times in UTC: the zip depends on the files' contents and modes only.
(cd "$stage" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | TZ=UTC zip -q -X -D -6 "$tmp_zip" -@) ||
  fail "zip failed"
mv -f "$tmp_zip" "$out"

unzipped=$(find "$stage" -type f -printf '%s\n' | awk '{ total += $1 } END { print total }')
zipped=$(stat -c %s "$out")
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1048576 }'; }
echo "    entries:       $(find "$stage" -type f | wc -l)"
echo "    unzipped size: $(mb "$unzipped") ($unzipped bytes; Lambda's limit: $(mb "$LAMBDA_MAX_UNZIPPED_BYTES"))"
echo "    zip size:      $(mb "$zipped") ($zipped bytes)"
echo "    sha256:        $(sha256sum "$out" | cut -d' ' -f1)"
echo "    built in $((SECONDS - started)) s"
((unzipped < LAMBDA_MAX_UNZIPPED_BYTES)) ||
  fail "the unzipped package is $unzipped bytes, over Lambda's limit of $LAMBDA_MAX_UNZIPPED_BYTES"
