#!/usr/bin/env bash
# Write a busybox root filesystem as a tar stream on stdout, made from the host's busybox-static
# (no internet needed): /bin/busybox, a symlink per applet, /etc/passwd and /etc/group, /tmp, /root.
#   scripts/busybox-rootfs.sh | minidocker import - busybox:latest
set -euo pipefail
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "busybox-rootfs: $busybox not found: apt-get install busybox-static" >&2; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,etc,tmp,root,proc,sys,dev,home} 
chmod 1777 "$root/tmp"; chmod 700 "$root/root"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
tar --numeric-owner --owner=0 --group=0 -C "$root" -c .
