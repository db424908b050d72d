#!/bin/sh
# Removes what install.sh put on this machine: the service, the program, the account it created and
# every folder it made. The data folder (this device's identity, its apps' data) goes too, unless
# --keep-data. POSIX sh; running it again when nothing is installed is fine.
#
#   sh uninstall.sh [--prefix DIR] [--keep-data] [--yes]
#
#   --prefix DIR  the --prefix given to install.sh
#   --keep-data   keep the data folder (a later install on this machine picks it up again)
#   --yes         do not ask before deleting the data folder (asked only at a terminal)
set -eu

PREFIX=""
KEEP_DATA=0
YES=0
die() { echo "uninstall.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case "$1" in
		--prefix) [ $# -ge 2 ] || die "--prefix needs a value"; PREFIX=$2; shift 2 ;;
		--keep-data) KEEP_DATA=1; shift ;;
		--yes|-y) YES=1; shift ;;
		-h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
		*) die "unknown option $1 (see --help)" ;;
	esac
done
case "$PREFIX" in ""|/) PREFIX="" ;; /*) PREFIX=${PREFIX%/} ;; *) PREFIX=$(pwd)/$PREFIX ;; esac
APPDIR="$PREFIX/opt/buckyos-node"
CONF="$APPDIR/install.conf"
if [ ! -f "$CONF" ]; then
	echo "The BuckyOS node is not installed here ($CONF not found); nothing to do."
	exit 0
fi
conf() { sed -n "s/^$1=//p" "$CONF" | head -n 1; }
DATA=$(conf data)
RUN_USER=$(conf user)
CREATED_USER=$(conf created_user)
INIT=$(conf init)
CREATED_DIRS=$(sed -n 's/^created_dir=//p' "$CONF")
[ -n "$DATA" ] || die "$CONF names no data folder"

if [ "$KEEP_DATA" -eq 0 ] && [ "$YES" -eq 0 ] && [ -t 0 ] && [ -d "$DATA" ]; then
	printf 'This also deletes %s: this device leaves your home cloud and the data of the apps on it is lost.\nDelete it? [y/N] ' "$DATA"
	read -r answer
	case "$answer" in y|Y|yes|YES) ;; *) KEEP_DATA=1; echo "Keeping $DATA." ;; esac
fi

# --- stop the service ---------------------------------------------------------------------------------
if [ -z "$PREFIX" ]; then
	case "$INIT" in
		systemd) ! command -v systemctl >/dev/null 2>&1 || systemctl disable --now buckyos-node.service >/dev/null 2>&1 || true ;;
		procd) if [ -x /etc/init.d/buckyos-node ]; then /etc/init.d/buckyos-node stop || true; /etc/init.d/buckyos-node disable || true; fi ;;
	esac
fi
# Both kinds of service file, whichever an earlier install (with another --init) may have left.
rm -f "$PREFIX/etc/systemd/system/buckyos-node.service" "$PREFIX/etc/init.d/buckyos-node"
if [ -z "$PREFIX" ] && [ "$INIT" = systemd ] && [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
# Started in the background by install.sh (--init none), or left over: stop it by its pid file.
PIDFILE="$DATA/buckyos-node.pid"
if [ -f "$PIDFILE" ]; then
	pid=$(cat "$PIDFILE")
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q buckyos-node "/proc/$pid/cmdline" 2>/dev/null; then
		kill "$pid"
		i=0
		while kill -0 "$pid" 2>/dev/null && grep -q buckyos-node "/proc/$pid/cmdline" 2>/dev/null && [ $i -lt 30 ]; do sleep 1; i=$((i + 1)); done
		! kill -0 "$pid" 2>/dev/null || ! grep -q buckyos-node "/proc/$pid/cmdline" 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$PIDFILE"
fi

# --- remove the files ---------------------------------------------------------------------------------
LINK="$PREFIX/usr/local/bin/buckyos-node"
if [ -L "$LINK" ] && [ "$(readlink "$LINK")" = "$APPDIR/buckyos-node" ]; then rm -f "$LINK"; fi
if [ "$KEEP_DATA" -eq 0 ]; then
	rm -rf "$DATA"
else
	echo "Kept the data folder $DATA."
fi
rm -rf "$APPDIR"
if [ "$CREATED_USER" = 1 ] && [ -z "$PREFIX" ] && id "$RUN_USER" >/dev/null 2>&1; then
	if command -v userdel >/dev/null 2>&1; then userdel "$RUN_USER" 2>/dev/null || true
	elif command -v deluser >/dev/null 2>&1; then deluser "$RUN_USER" 2>/dev/null || true
	fi
fi
# The folders install.sh made, deepest first, each only if it is empty now.
printf '%s\n' "$CREATED_DIRS" | awk 'NF { print length($0) "\t" $0 }' | sort -rn | cut -f2- | while IFS= read -r d; do
	rmdir "$d" 2>/dev/null || true
done
echo "The BuckyOS node is uninstalled."
