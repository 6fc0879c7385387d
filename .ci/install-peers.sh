#!/usr/bin/env bash
# Installs the real OSC peers that the interoperability tests talk to:
# liblo's command-line tools (oscsend, oscdump, oscsendfile), pyliblo,
# osc.js and curl (an independent HTTP client for the oscquery tests);
# npm bonjour-service and multicast-dns (mDNS peers) and iproute2 (the
# network namespaces the multicast tests make); and
# what the C columns of bench/ build against: liblo's and oscpack's headers
# and libraries (liblo-dev, liboscpack-dev) and a C and C++ compiler for
# cgo. It is idempotent: what is already present is left alone.
#
# As root it installs what is missing (apt-get update once, then
# apt-get install; npm ci in interop/js). As another user it only reports
# what is missing and exits non-zero, unless OSCKIT_NO_PEERS=1, in which case
# the peer tests skip themselves and this script exits 0.
#
# Under sudo, pass the caller's PATH (sudo env "PATH=$PATH" bash
# .ci/install-peers.sh): sudo resets PATH, and a node and npm installed
# outside the system directories (actions/setup-node, nvm) would not be
# found, so Debian's would be installed instead.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
js="$root/interop/js"

debs=(liblo-tools python3-liblo pyliblo-utils curl liblo-dev liboscpack-dev gcc g++ tmux tshark iproute2)
missing_debs=()

have_deb() {
	case "$1" in
	liblo-tools) command -v oscsend >/dev/null 2>&1 && command -v oscdump >/dev/null 2>&1 ;;
	python3-liblo) [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import liblo' >/dev/null 2>&1 ;;
	pyliblo-utils) command -v send_osc >/dev/null 2>&1 && command -v dump_osc >/dev/null 2>&1 ;;
	curl) command -v curl >/dev/null 2>&1 ;;
	liblo-dev) [ -f /usr/include/lo/lo.h ] && ls /usr/lib/*/liblo.so >/dev/null 2>&1 ;;
	liboscpack-dev) [ -f /usr/include/oscpack/osc/OscTypes.h ] && ls /usr/lib/*/liboscpack.so >/dev/null 2>&1 ;;
	gcc) command -v gcc >/dev/null 2>&1 ;;
	g++) command -v g++ >/dev/null 2>&1 ;;
	tmux) command -v tmux >/dev/null 2>&1 ;;
	tshark) command -v tshark >/dev/null 2>&1 ;;
	iproute2) command -v ip >/dev/null 2>&1 ;;
	*) return 1 ;;
	esac
}

have_oscjs() {
	[ -f "$js/node_modules/osc/package.json" ] && [ -f "$js/node_modules/ws/package.json" ] &&
		[ -f "$js/node_modules/multicast-dns/package.json" ] &&
		[ -f "$js/node_modules/bonjour-service/package.json" ] &&
		command -v node >/dev/null 2>&1
}

for d in "${debs[@]}"; do
	have_deb "$d" || missing_debs+=("$d")
done
need_node=0
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || need_node=1
need_oscjs=0
have_oscjs || need_oscjs=1

if [ "${#missing_debs[@]}" -eq 0 ] && [ "$need_oscjs" -eq 0 ]; then
	echo "install-peers: all peers present (${debs[*]}, osc.js)"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-peers: missing peers (run this script as root to install them):" >&2
	for d in "${missing_debs[@]}"; do echo "  apt package $d" >&2; done
	[ "$need_node" -eq 1 ] && echo "  apt packages nodejs npm" >&2
	[ "$need_oscjs" -eq 1 ] && echo "  npm package osc in interop/js (npm ci --omit=optional)" >&2
	if [ "${OSCKIT_NO_PEERS:-}" = "1" ]; then
		echo "install-peers: OSCKIT_NO_PEERS=1: the peer tests will be skipped" >&2
		exit 0
	fi
	exit 1
fi

apt_pkgs=("${missing_debs[@]}")
[ "$need_node" -eq 1 ] && apt_pkgs+=(nodejs npm)
if [ "${#apt_pkgs[@]}" -gt 0 ]; then
	echo "install-peers: apt-get install ${apt_pkgs[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${apt_pkgs[@]}" >/dev/null
fi

if ! have_oscjs; then
	echo "install-peers: npm ci in interop/js"
	(cd "$js" && npm ci --omit=optional --no-audit --no-fund --loglevel=error)
fi

fail=0
for d in "${debs[@]}"; do
	if ! have_deb "$d"; then
		echo "install-peers: $d still missing after install" >&2
		fail=1
	fi
done
if ! have_oscjs; then
	echo "install-peers: osc.js still missing after npm ci" >&2
	fail=1
fi
[ "$fail" -eq 0 ] && echo "install-peers: all peers installed"
exit "$fail"
