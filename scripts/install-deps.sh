#!/usr/bin/env bash
# Install what building and testing minidocker needs on a Debian machine (idempotent).
set -euo pipefail
need_apt=()
[ -x /bin/busybox ] || need_apt+=(busybox-static)
command -v unshare >/dev/null || need_apt+=(util-linux)
command -v python3 >/dev/null || need_apt+=(python3)
# The bridge network's NAT and port publishing are iptables rules; veths and bridges are set up with ip.
command -v iptables >/dev/null || need_apt+=(iptables)
command -v ip >/dev/null || need_apt+=(iproute2)
# The tests push to and pull from a private registry on 127.0.0.1 (Docker Hub is out of reach).
if [ "${1:-}" = --test ]; then
  [ -x /usr/bin/docker-registry ] || need_apt+=(docker-registry)
fi
# The end-to-end bench compares minidocker with the peer runtimes (it skips one that is missing).
if [ "${1:-}" = --bench ]; then
  command -v crun >/dev/null || need_apt+=(crun)
  command -v runc >/dev/null || need_apt+=(runc)
fi
# apt-get waits for the dpkg lock (a machine's own start-up jobs may hold it) and is tried
# three times: a mirror that times out once should not fail a whole CI run.
apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -o Acquire::Retries=3 "$@"; }
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "==> apt-get install ${need_apt[*]}"
  for attempt in 1 2 3; do
    if apt_get update -qq && apt_get install -y -qq "${need_apt[@]}" >/dev/null; then
      break
    fi
    [ "$attempt" = 3 ] && { echo "install-deps: apt-get install ${need_apt[*]} failed three times" >&2; exit 1; }
    echo "install-deps: apt-get failed (attempt $attempt of 3); trying again in $((attempt * 20)) s" >&2
    sleep $((attempt * 20))
  done
fi
if [ "${1:-}" = --test ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
  command -v cargo-nextest >/dev/null || cargo install cargo-nextest --locked
  command -v mdbook >/dev/null || { echo "==> cargo install mdbook"; cargo install mdbook --locked --quiet; }
fi
