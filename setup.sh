#!/usr/bin/env bash
# Set up minidocker on a fresh Debian machine (as root) and run a first container:
#   installs busybox-static and util-linux from apt, builds minidocker in release mode,
#   imports a busybox:latest image made from the host's busybox (no internet needed),
#   then runs `minidocker run --rm busybox echo ...`.
set -euo pipefail
cd "$(dirname "$0")"
[ "$(id -u)" = 0 ] || { echo "setup.sh: run as root (containers need CAP_SYS_ADMIN): sudo ./setup.sh" >&2; exit 1; }

scripts/install-deps.sh
echo "==> building minidocker (release)"
cargo build --release --locked -p minidocker
install -m 0755 target/release/minidocker /usr/local/bin/minidocker
# a container's shim while it runs: found next to minidocker
install -m 0755 target/release/minidocker-shim /usr/local/bin/minidocker-shim

if ! minidocker run --rm busybox true >/dev/null 2>&1; then
  echo "==> importing busybox:latest from the host's busybox-static"
  # CMD ["sh"], as Docker Hub's busybox has, so `minidocker run -it busybox` gives a shell
  scripts/busybox-rootfs.sh | minidocker import -c 'CMD ["sh"]' - busybox:latest
fi
echo "==> minidocker run --rm busybox ..."
minidocker run --rm busybox sh -c 'echo "Hello from a minidocker container: $(hostname) is PID $$, running $(uname -sr)"'
