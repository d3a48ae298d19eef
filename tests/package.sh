#!/usr/bin/env bash
# The station PC's package, end to end (issue 19), as CI runs it (.ci/run): build it, check it
# with lintian (no errors), read its control data and file list, verify its unit with
# systemd-analyze, INSTALL IT ON THIS MACHINE with apt, check the user, the files, the
# conffile and `loaxa check` as the loaxa user, run the daemon as that user and air an item,
# upgrade to a package with a bumped version and check that the log chain, the library and
# the operator's config edit are still there, remove (data kept), purge (data gone).
#
# It installs and purges a system package: run it as root on a throw-away machine (CI), never
# on a station PC. It refuses to run where loaxa is already installed. No check is skipped:
# a missing tool is an error.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "package.sh: FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

[ "$(id -u)" = 0 ] || fail "must run as root (it installs the package); CI does"
for tool in cargo-deb lintian dpkg-deb systemd-analyze apt-get python3 setpriv readelf; do
    command -v "$tool" >/dev/null || fail "$tool is missing (.ci/run installs it)"
done
if dpkg-query -W -f '${Status}' loaxa 2>/dev/null | grep -q installed; then
    fail "a loaxa package is already installed here; this test installs and purges one"
fi

export LOAXA_LANG=vi
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
BUILT=$(date -u -d "@$SOURCE_DATE_EPOCH" +%F)
VERSION=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
CONF=/etc/loaxa/loaxa.toml
WORK=$(mktemp -d)
DAEMON=
cleanup() {
    if [ -n "$DAEMON" ]; then kill "$DAEMON" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# The loaxa user runs the commands, as the unit does (its groups included).
as_loaxa() {
    HOME=/var/lib/loaxa setpriv --reuid=loaxa --regid=loaxa --init-groups -- "$@"
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

step "build"
DEB=$(contrib/deb/build)
[ -f "$DEB" ] || fail "cargo deb made no package ($DEB)"
ls -l "$DEB"

step "lintian (errors fail; warnings are listed)"
lintian --fail-on error "$DEB" | tee "$WORK/lintian.txt"
if grep -q '^E:' "$WORK/lintian.txt"; then fail "lintian found errors"; fi

step "control data"
dpkg-deb -I "$DEB" | tee "$WORK/info.txt"
field() { dpkg-deb -f "$DEB" "$1"; }
[ "$(field Package)" = loaxa ] || fail "Package is not loaxa"
[ "$(field Version)" = "$VERSION-1" ] || fail "Version $(field Version) is not $VERSION-1"
for dep in adduser libasound2 libopus0 libmp3lame0 libc6; do
    field Depends | tr ',' '\n' | grep -q "^ *$dep\b" || fail "Depends lacks $dep: $(field Depends)"
done
for sug in espeak-ng icecast2 postgresql-client; do
    field Suggests | grep -q "$sug" || fail "Suggests lacks $sug"
done
dpkg-deb --ctrl-tarfile "$DEB" | tar -xO ./conffiles > "$WORK/conffiles"
grep -qx /etc/loaxa/loaxa.toml "$WORK/conffiles" || fail "/etc/loaxa/loaxa.toml is not a conffile"
# (Listed to a file first: `grep -q` leaving a pipe early would fail it under pipefail.)
dpkg-deb --ctrl-tarfile "$DEB" | tar -t > "$WORK/control.txt"
for script in postinst prerm postrm; do
    grep -qx "./$script" "$WORK/control.txt" || fail "no $script"
done

step "file list"
dpkg-deb -c "$DEB" | tee "$WORK/files.txt"
for path in ./usr/bin/loaxa ./lib/systemd/system/loaxa.service ./etc/loaxa/loaxa.toml \
    ./etc/loaxa/playlists/demo.toml ./usr/share/loaxa/demo/nhac-hieu.ogg \
    ./usr/share/loaxa/demo/ban-tin-1.ogg ./usr/share/loaxa/demo/ban-tin-2.ogg \
    ./usr/share/doc/loaxa/README.md ./usr/share/doc/loaxa/copyright \
    ./usr/share/doc/loaxa/changelog.Debian.gz; do
    grep -q " $path\$" "$WORK/files.txt" || fail "the package lacks $path"
done
dpkg-deb -x "$DEB" "$WORK/root"
if readelf -S -W "$WORK/root/usr/bin/loaxa" | grep -Eq ' \.(debug_(info|line|str)|symtab) '; then
    fail "/usr/bin/loaxa is not stripped"
fi
echo "stripped binary: $(stat -c %s "$WORK/root/usr/bin/loaxa") bytes"
# The packaged unit is contrib/loaxa.service with the binary in /usr/bin: nothing else drifts.
diff <(grep -v '^#' contrib/loaxa.service | sed 's|/usr/local/bin/loaxa|/usr/bin/loaxa|') \
    <(grep -v '^#' "$WORK/root/lib/systemd/system/loaxa.service") ||
    fail "contrib/deb/loaxa.service differs from contrib/loaxa.service beyond ExecStart"

step "install (apt resolves the dependencies)"
apt-get install -y -q "$DEB"
[ -x /usr/bin/loaxa ] || fail "/usr/bin/loaxa not installed"
got=$(loaxa --version)
[ "$got" = "loaxa $VERSION ($BUILT)" ] || fail "--version says '$got', not 'loaxa $VERSION ($BUILT)'"
systemd-analyze verify /lib/systemd/system/loaxa.service || fail "systemd-analyze verify"
[ -L /etc/systemd/system/multi-user.target.wants/loaxa.service ] || fail "the service is not enabled"

step "user, folders, conffile"
IFS=: read -r _ _ uid _ _ home shell < <(getent passwd loaxa) || fail "no loaxa user"
[ "$uid" -lt 1000 ] || fail "loaxa is not a system user (uid $uid)"
[ "$home" = /var/lib/loaxa ] || fail "loaxa's home is $home"
case "$shell" in */nologin | */false) ;; *) fail "loaxa has a login shell ($shell)" ;; esac
id -nG loaxa | tr ' ' '\n' | grep -qx audio || fail "loaxa is not in group audio"
id -nG loaxa | tr ' ' '\n' | grep -qx loaxa || fail "loaxa has no group loaxa (the unit's Group=)"
[ "$(stat -c %U /var/lib/loaxa)" = loaxa ] || fail "/var/lib/loaxa is not owned by loaxa"
dpkg-query -W -f '${Conffiles}\n' loaxa | grep -q "^ $CONF " || fail "$CONF is not a registered conffile"

step "loaxa check as the loaxa user, the shipped config (no program yet)"
as_loaxa loaxa -c "$CONF" check | tee "$WORK/check.txt"
grep -q "0 chương trình" "$WORK/check.txt" || fail "the shipped config should have no program"
# Without -c, as the page and the config's comments tell the operator: /etc/loaxa/loaxa.toml.
(cd / && as_loaxa loaxa check) | grep -q "^$CONF: 0 chương trình" ||
    fail "\`loaxa check\` without -c did not find $CONF"
# The config's commented demo program, switched on, passes too (its paths are the package's).
python3 - "$CONF" "$WORK/demo.toml" <<'EOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
block = text[text.index("# [[program]]\n# name = \"demo\""):]
block = block[: block.index("\n\n")]
open(sys.argv[2], "w", encoding="utf-8").write(text + "\n" + re.sub(r"^# ", "", block, flags=re.M) + "\n")
EOF
chmod 644 "$WORK/demo.toml"
chmod 755 "$WORK"
as_loaxa loaxa -c "$WORK/demo.toml" check | tee "$WORK/check-demo.txt"
grep -q "1 chương trình" "$WORK/check-demo.txt" || fail "the demo program did not parse"

step "the daemon as the loaxa user: the page, an item aired"
start_daemon() {
    # A simple command, not the function: $! is then the daemon itself, which a TERM stops.
    HOME=/var/lib/loaxa setpriv --reuid=loaxa --regid=loaxa --init-groups -- \
        loaxa -c "$CONF" run --output null >"$WORK/run.out" 2>"$WORK/run.err" &
    DAEMON=$!
    for _ in $(seq 100); do
        if as_loaxa loaxa -c "$CONF" now >/dev/null 2>&1; then return 0; fi
        kill -0 "$DAEMON" 2>/dev/null || { cat "$WORK/run.err"; fail "the daemon stopped"; }
        sleep 0.2
    done
    cat "$WORK/run.err"
    fail "the daemon did not answer within 20 s"
}
stop_daemon() {
    kill -TERM "$DAEMON"
    wait "$DAEMON" || fail "the daemon did not stop cleanly"
    DAEMON=
}
start_daemon
grep -Eq "loaxa starting version=\"?$VERSION\"? built=\"?$BUILT\"?" "$WORK/run.err" ||
    fail "the start log line does not give the version and build date"
python3 - "$VERSION" "$BUILT" <<'EOF'
import json, sys, urllib.request
base = "http://127.0.0.1:8757"
page = urllib.request.urlopen(base + "/").read().decode()
assert "<title>" in page and 'id="version"' in page, "the page is not served"
info = json.load(urllib.request.urlopen(base + "/api/v1/station"))
assert info["version"] == sys.argv[1], info
assert info["built"] == sys.argv[2], info
assert info["programs"] == 0, info
assert info["config_path"] == "/etc/loaxa/loaxa.toml", info
now = json.load(urllib.request.urlopen(base + "/api/v1/now"))
assert now.get("next") is None, now
print("page: served; /station:", info["version"], info["built"], "programs", info["programs"])
EOF
id=$(as_loaxa loaxa -c "$CONF" segment add /usr/share/loaxa/demo/ban-tin-2.ogg --topic cds \
    --title "Thử gói" --json | json 'd["segment"]["id"]')
as_loaxa loaxa -c "$CONF" play "$id" --now
for _ in $(seq 120); do
    if as_loaxa loaxa -c "$CONF" log --json | grep -q '"outcome":"completed"'; then break; fi
    sleep 0.25
done
as_loaxa loaxa -c "$CONF" log --json | grep -q '"outcome":"completed"' || fail "the item did not air"
stop_daemon
as_loaxa loaxa -c "$CONF" log verify --json > "$WORK/verify.json"
last=$(json "str(d['last_id']) + ':' + d['last_hash']" < "$WORK/verify.json")
echo "log verified up to $last"
segments=$(as_loaxa loaxa -c "$CONF" segment list --json | wc -l)
[ "$segments" -ge 1 ] || fail "the library is empty"

step "upgrade to a bumped package version: log chain, library, config edit kept"
sed -i 's/^name = "Đài truyền thanh xã"$/name = "Đài truyền thanh xã Thử Nâng Cấp"/' "$CONF"
grep -q "Thử Nâng Cấp" "$CONF" || fail "could not edit $CONF"
DEB2=$(contrib/deb/build --deb-version "$VERSION-99")
apt-get install -y -q "$DEB2"
[ "$(dpkg-query -W -f '${Version}' loaxa)" = "$VERSION-99" ] || fail "the upgrade did not install"
grep -q "Thử Nâng Cấp" "$CONF" || fail "the upgrade lost the operator's edit of $CONF"
as_loaxa loaxa -c "$CONF" log verify --expect "$last" || fail "the log chain does not verify after the upgrade"
[ "$(as_loaxa loaxa -c "$CONF" segment list --json | wc -l)" = "$segments" ] || fail "the library changed"
as_loaxa loaxa -c "$CONF" check >/dev/null || fail "loaxa check after the upgrade"
# The new binary opens the old store and goes on writing the same chain.
start_daemon
as_loaxa loaxa -c "$CONF" play "$id" --now
for _ in $(seq 120); do
    n=$(as_loaxa loaxa -c "$CONF" log --json | grep -c '"outcome":"completed"' || true)
    [ "$n" -ge 2 ] && break
    sleep 0.25
done
[ "$n" -ge 2 ] || fail "nothing aired after the upgrade"
stop_daemon
as_loaxa loaxa -c "$CONF" log verify --expect "$last" || fail "the chain broke after the upgrade"

step "remove: data and config kept"
apt-get remove -y -q loaxa
[ ! -e /usr/bin/loaxa ] || fail "remove left /usr/bin/loaxa"
[ -d /var/lib/loaxa ] && [ -n "$(ls -A /var/lib/loaxa)" ] || fail "remove deleted /var/lib/loaxa"
[ -f "$CONF" ] || fail "remove deleted the config"

step "purge: data gone"
apt-get purge -y -q loaxa
[ ! -e /var/lib/loaxa ] || fail "purge left /var/lib/loaxa"
[ ! -e "$CONF" ] || fail "purge left $CONF"
[ ! -e /etc/systemd/system/multi-user.target.wants/loaxa.service ] || fail "purge left the service enabled"

echo "package.sh: ok ($DEB)"
