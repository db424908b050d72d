#!/bin/sh
# Installs the BuckyOS headless node on a NAS, a router or a Linux PC, as a service that starts at boot,
# then prints the code (and QR) with which the owner adds this device from the control panel.
# POSIX sh; safe to run again (an update: the program is replaced, the data and the pairing kept).
#
#   sh install.sh [--prefix DIR] [--data DIR] [--host ADDR] [--user NAME] [--from FILE]
#                 [--init auto|systemd|procd|none] [--no-start]
#
#   --prefix DIR  install under DIR instead of / (DIR/opt/buckyos-node, DIR/etc/…, DIR/var/lib/…)
#   --data DIR    the node's data folder (default PREFIX/var/lib/buckyos-node); kept by uninstall.sh
#   --host ADDR   the address it listens on (default 0.0.0.0: every network of this machine)
#   --user NAME   the account it runs as (default buckyos-node, created if missing; never root)
#   --from FILE   the build to install: buckyos-node-linux-<arch> (Node built in) or buckyos-node.cjs
#                 (needs Node >= 20 on this machine); default the one next to this script or in dist/
#   --init KIND   systemd, procd (OpenWrt) or none (started in the background now, not at boot);
#                 default: what this machine runs
#   --no-start    install only
set -eu

PREFIX=""
DATA=""
HOST="0.0.0.0"
RUN_USER="buckyos-node"
FROM=""
INIT="auto"
START=1

die() { echo "install.sh: $*" >&2; exit 1; }
need_value() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value"; }

while [ $# -gt 0 ]; do
	case "$1" in
		--prefix) need_value "$@"; PREFIX=$2; shift 2 ;;
		--data) need_value "$@"; DATA=$2; shift 2 ;;
		--host) need_value "$@"; HOST=$2; shift 2 ;;
		--user) need_value "$@"; RUN_USER=$2; shift 2 ;;
		--from) need_value "$@"; FROM=$2; shift 2 ;;
		--init) need_value "$@"; INIT=$2; shift 2 ;;
		--no-start) START=0; shift ;;
		-h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
		*) die "unknown option $1 (see --help)" ;;
	esac
done

HERE=$(cd "$(dirname "$0")" && pwd)
case "$PREFIX" in ""|/) PREFIX="" ;; /*) PREFIX=${PREFIX%/} ;; *) PREFIX=$(pwd)/$PREFIX ;; esac
[ -n "$DATA" ] || DATA="$PREFIX/var/lib/buckyos-node"
case "$DATA" in /*) ;; *) DATA=$(pwd)/$DATA ;; esac
APPDIR="$PREFIX/opt/buckyos-node"
BINLINK="$PREFIX/usr/local/bin/buckyos-node"
UNIT="$PREFIX/etc/systemd/system/buckyos-node.service"
INITD="$PREFIX/etc/init.d/buckyos-node"
[ "$RUN_USER" != "root" ] || die "the node does not need root; pick another --user"

# --- which build ------------------------------------------------------------------------------------
case "$(uname -m)" in
	x86_64|amd64) ARCH=x64 ;;
	aarch64|arm64) ARCH=arm64 ;;
	*) ARCH=$(uname -m) ;;
esac
if [ -z "$FROM" ]; then
	for f in "$HERE/buckyos-node-linux-$ARCH" "$HERE/../../dist/node-daemon/buckyos-node-linux-$ARCH" \
		"$HERE/buckyos-node.cjs" "$HERE/../../dist/node-daemon/buckyos-node.cjs"; do
		if [ -f "$f" ]; then FROM=$f; break; fi
	done
	[ -n "$FROM" ] || die "no build found next to this script; run 'npm run build:node' first or pass --from FILE"
fi
[ -f "$FROM" ] || die "$FROM does not exist"
case "$FROM" in
	*.cjs|*.js)
		NODE=$(command -v node || true)
		[ -n "$NODE" ] || die "$FROM needs Node.js >= 20 on this machine (or install the single executable buckyos-node-linux-$ARCH)"
		NODE_MAJOR=$("$NODE" -p 'process.versions.node.split(".")[0]')
		[ "$NODE_MAJOR" -ge 20 ] || die "$FROM needs Node.js >= 20; this machine has $("$NODE" --version)"
		KIND=bundle ;;
	*) KIND=executable ;;
esac

# --- which service manager --------------------------------------------------------------------------
if [ "$INIT" = auto ]; then
	if [ -n "$PREFIX" ]; then INIT=none
	elif [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then INIT=systemd
	elif [ -f /etc/rc.common ] && command -v procd >/dev/null 2>&1 || [ -x /sbin/procd ]; then INIT=procd
	else INIT=none
	fi
fi
case "$INIT" in systemd|procd|none) ;; *) die "--init takes auto, systemd, procd or none" ;; esac

# --- the account ------------------------------------------------------------------------------------
CREATED_USER=0
CREATED_DIRS=""
if [ -f "$APPDIR/install.conf" ]; then
	# An update keeps what the first install created (so uninstall.sh still removes it).
	CREATED_USER=$(sed -n 's/^created_user=//p' "$APPDIR/install.conf")
	[ -n "$CREATED_USER" ] || CREATED_USER=0
	CREATED_DIRS=$(sed -n 's/^created_dir=//p' "$APPDIR/install.conf")
fi
# mkdir -p that remembers every folder it made, so uninstall.sh removes exactly those (when empty).
make_dirs() {
	for target in "$@"; do
		missing=""
		d=$target
		while [ -n "$d" ] && [ "$d" != / ] && [ ! -d "$d" ]; do missing="$d
$missing"; d=$(dirname "$d"); done
		mkdir -p "$target"
		CREATED_DIRS="$CREATED_DIRS
$missing"
	done
}
if [ "$(id -u)" -ne 0 ]; then
	RUN_USER=$(id -un)          # not root: the node runs as whoever installed it
elif [ -z "$PREFIX" ] && ! id "$RUN_USER" >/dev/null 2>&1; then
	if command -v useradd >/dev/null 2>&1; then
		useradd --system --no-create-home --home-dir "$DATA" --shell /usr/sbin/nologin --user-group "$RUN_USER"
	elif command -v adduser >/dev/null 2>&1; then
		adduser -S -D -H -h "$DATA" -s /bin/false "$RUN_USER" 2>/dev/null || adduser --system --group --no-create-home --home "$DATA" "$RUN_USER"
	else
		die "cannot create the account $RUN_USER (no useradd or adduser); create it and run this again"
	fi
	CREATED_USER=1
fi

# --- files ------------------------------------------------------------------------------------------
make_dirs "$APPDIR" "$(dirname "$BINLINK")"
if [ "$KIND" = executable ]; then
	cp "$FROM" "$APPDIR/buckyos-node.new" && chmod 755 "$APPDIR/buckyos-node.new" && mv -f "$APPDIR/buckyos-node.new" "$APPDIR/buckyos-node"
	rm -f "$APPDIR/buckyos-node.cjs"
	EXEC="$APPDIR/buckyos-node"
else
	cp "$FROM" "$APPDIR/buckyos-node.cjs.new" && mv -f "$APPDIR/buckyos-node.cjs.new" "$APPDIR/buckyos-node.cjs"
	printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$NODE" "$APPDIR/buckyos-node.cjs" > "$APPDIR/buckyos-node"
	chmod 755 "$APPDIR/buckyos-node"
	EXEC="$NODE $APPDIR/buckyos-node.cjs"
fi
cp "$HERE/uninstall.sh" "$APPDIR/uninstall.sh" && chmod 755 "$APPDIR/uninstall.sh"
[ ! -f "$HERE/README.md" ] || cp "$HERE/README.md" "$APPDIR/README.md"
ln -sf "$APPDIR/buckyos-node" "$BINLINK"

make_dirs "$DATA"
chmod 700 "$DATA"
if [ "$(id -u)" -eq 0 ] && id "$RUN_USER" >/dev/null 2>&1; then chown -R "$RUN_USER:" "$DATA" 2>/dev/null || chown -R "$RUN_USER" "$DATA"; fi

fill() {
	sed -e "s|@EXEC@|$EXEC|g" -e "s|@DATA@|$DATA|g" -e "s|@HOST@|$HOST|g" -e "s|@USER@|$RUN_USER|g" -e "s|@APPDIR@|$APPDIR|g" "$1" > "$2.new"
	mv -f "$2.new" "$2"
}
# One kind of service file: drop the other kind an earlier install (with another --init) wrote.
[ "$INIT" = systemd ] || rm -f "$UNIT"
[ "$INIT" = procd ] || rm -f "$INITD"
case "$INIT" in
	systemd) make_dirs "$(dirname "$UNIT")"; fill "$HERE/buckyos-node.service" "$UNIT"; chmod 644 "$UNIT" ;;
	procd) make_dirs "$(dirname "$INITD")"; fill "$HERE/buckyos-node.procd" "$INITD"; chmod 755 "$INITD" ;;
esac

cat > "$APPDIR/install.conf" <<EOF
# written by install.sh; read by uninstall.sh
prefix=$PREFIX
data=$DATA
host=$HOST
user=$RUN_USER
created_user=$CREATED_USER
init=$INIT
EOF
printf '%s\n' "$CREATED_DIRS" | awk 'NF && !seen[$0]++ { print "created_dir=" $0 }' >> "$APPDIR/install.conf"

# --- start ------------------------------------------------------------------------------------------
PIDFILE="$DATA/buckyos-node.pid"
running_pid() {
	[ -f "$PIDFILE" ] || return 1
	pid=$(cat "$PIDFILE")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q buckyos-node "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}
if [ "$START" -eq 1 ]; then
	case "$INIT" in
		systemd)
			systemctl daemon-reload
			systemctl enable buckyos-node.service >/dev/null 2>&1
			systemctl restart buckyos-node.service ;;
		procd)
			"$INITD" enable
			"$INITD" restart ;;
		none)
			if pid=$(running_pid); then kill "$pid"; i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 30 ]; do sleep 1; i=$((i + 1)); done; fi
			mkdir -p "$DATA/logs"
			# shellcheck disable=SC2086 # EXEC is "node file" for the bundle
			NODE_OPTIONS=--max-semi-space-size=1 nohup $EXEC node --data "$DATA" --host "$HOST" --log-format json >> "$DATA/logs/console.log" 2>&1 &
			echo $! > "$PIDFILE" ;;
	esac
fi

echo "BuckyOS node installed in $APPDIR (data: $DATA, runs as: $RUN_USER, service: $INIT)."
if [ "$START" -eq 0 ]; then
	echo "Start it with: $BINLINK node --data $DATA --host $HOST"
	exit 0
fi
[ "$INIT" != none ] || echo "It runs now, but will not start by itself after a reboot (no systemd or procd found)."
"$APPDIR/buckyos-node" pairing --host "$HOST" --timeout 60
