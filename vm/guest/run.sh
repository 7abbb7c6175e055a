#!/bin/sh
# Runs inside the VM, as root, to carry out one `vm/run`: started by the lean image's /init or by
# the full image's vmrun.service, from vm/run's control directory (a 9p share mounted at
# /run/vmrun), which holds this script, `settings` and `cmd`. It mounts the workspace at the
# same path as on the host, runs `cmd` with its stdout and stderr on two virtio serial ports
# that vm/run streams to its own, writes the exit status to `status`, and returns; the caller
# powers the machine off.
ctl=/run/vmrun
. "$ctl/settings" # WORKSPACE (where to mount it; empty: not shared), INTERACTIVE

# The virtio serial port named $1 (vm/run names them), or the console if there is none.
port() {
  for p in /sys/class/virtio-ports/*; do
    [ "$(cat "$p/name" 2>/dev/null)" = "$1" ] && echo "/dev/${p##*/}" && return
  done
  echo /dev/console
}
out=$(port vmrun.stdout)
err=$(port vmrun.stderr)

if [ -n "$WORKSPACE" ]; then
  mkdir -p "$WORKSPACE"
  if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 workspace "$WORKSPACE"; then
    echo "vm/run: could not mount the workspace at $WORKSPACE" >"$err"
    echo 125 >"$ctl/status"
    exit 0
  fi
fi

# `cmd` changes to the working directory, sets the environment and execs the command (or, for
# an interactive run, returns, and a login shell takes the console). The guest's uptime before
# and after goes to `started` and `finished`, for vm/run --times.
cat /proc/uptime >"$ctl/started"
if [ -n "$INTERACTIVE" ]; then
  (. "$ctl/cmd" && exec busybox setsid busybox cttyhack bash -l)
else
  env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    LANG=C.UTF-8 TERM=dumb sh "$ctl/cmd" </dev/null >"$out" 2>"$err"
fi
echo $? >"$ctl/status"
cat /proc/uptime >"$ctl/finished"

if [ -n "$WORKSPACE" ]; then
  cd / && umount "$WORKSPACE"
fi
sync
