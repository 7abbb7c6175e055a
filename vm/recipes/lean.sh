# The lean image, for CI: bookworm's kernel and a small initramfs that is the whole root
# filesystem. Sourced by vm/build, which calls build_image OUT TMP.
#
# OUT receives:
#   vmlinux          the kernel, uncompressed (QEMU boots it through PVH, see vm/build)
#   initrd.img       an uncompressed cpio: busybox, the Debian packages below, the kernel modules
#                    below and vm/guest/init as /init
#   manifest.txt     what went in (kernel and package versions, modules)
#
# Binaries built on the host (cargo's test binaries, target/debug/minidocker) are linked against
# bookworm's glibc and libgcc_s, so those come in as Debian packages; so do bash and GNU tar,
# which scripts/busybox-rootfs.sh and the tests use, and iptables (Debian's default, the
# nf_tables one), which chapter 7's NAT rules and lab 07's tests run. Everything else is busybox.
# shellcheck shell=bash disable=SC2034,SC2154 # recipe_inputs is read, and cache, log, die... set, by vm/build

recipe_inputs=(guest/init)

# Debian packages unpacked into the root filesystem (no maintainer scripts run: libraries and
# programs only). Their shared libraries are checked at the end of the build.
lean_packages=(busybox-static libc6 libgcc-s1 bash libtinfo6 tar libacl1 libselinux1 libpcre2-8-0
  iptables libip4tc2 libip6tc2 libxtables12 libmnl0 libnetfilter-conntrack3 libnfnetlink0
  libnftnl11 netbase)

# Kernel modules (with their dependencies). /init loads lean_boot_modules; the others are there
# for the kernel to load when they are first used (it runs /sbin/modprobe, busybox's, with the
# module's alias, like fs-overlay or rtnl-link-veth), which costs no boot time. The rest of what
# we need (tmpfs, devtmpfs, cgroup2, namespaces, the serial console) is built into the kernel.
lean_boot_modules=(
  virtio_pci virtio_console         # the PCI transport, and the ports vm/run streams output over
  9pnet_virtio 9p                   # the workspace and vm/run's control directory
  virtio_rng                        # entropy, so nothing waits on getrandom()
)
lean_modules=(
  "${lean_boot_modules[@]}"
  overlay                           # image layers (chapter 4)
  veth bridge br_netfilter          # container networks (chapter 7)
  nf_tables nft_chain_nat nft_masq nft_nat nft_ct nft_compat nft_fib_inet nft_fib_ipv4
  nf_conntrack nf_nat crc32c_generic
  iptable_nat iptable_filter ip6table_filter xt_MASQUERADE xt_conntrack xt_addrtype
  xt_nat xt_tcpudp
  virtio_net                        # vm/run --net
)

build_image() {
  local out=$1 tmp=$2 root=$2/root kpkg kver deb
  mkdir -p "$root"

  # The kernel.
  kpkg=$(kernel_package)
  [ -n "$kpkg" ] || die "linux-image-amd64 has no kernel package (apt-get update?)"
  deb=$(apt_download "$kpkg")
  dpkg-deb -x "$deb" "$tmp/kernel"
  kver=${kpkg#linux-image-}
  vmlinux_from_bzimage "$tmp/kernel/boot/vmlinuz-$kver" "$out/vmlinux"

  # The packages, then busybox's applets wherever a package did not put a real program.
  for deb in $(apt_download "${lean_packages[@]}"); do dpkg-deb -x "$deb" "$root"; done
  local applet
  for applet in $("$root/bin/busybox" --list-full); do
    [ -e "$root/$applet" ] || { mkdir -p "$root/${applet%/*}" && ln -s /bin/busybox "$root/$applet"; }
  done
  rm -rf "$root"/usr/share/{doc,man,info,locale,lintian,bug,bash-completion} "$root"/usr/lib/x86_64-linux-gnu/gconv
  # What iptables' postinst would choose with update-alternatives: the nf_tables variants.
  local tool
  for tool in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
    ln -sfn "$tool-nft" "$root/usr/sbin/$tool"
  done

  # The modules: each named one with the dependencies modules.dep lists for it (depmod writes
  # the whole chain, in load order; the package leaves running it to its postinst), then a
  # fresh index of the ones we keep, for busybox's modprobe.
  local moddir=lib/modules/$kver paths
  depmod -b "$tmp/kernel" "$kver"
  paths=$(module_paths "$tmp/kernel/$moddir" "${lean_modules[@]}")
  for path in $paths; do
    mkdir -p "$root/$moddir/${path%/*}"
    cp "$tmp/kernel/$moddir/$path" "$root/$moddir/$path"
  done
  cp "$tmp/kernel/$moddir"/modules.{order,builtin,builtin.modinfo} "$root/$moddir/"
  depmod -b "$root" "$kver"
  printf '%s\n' "${lean_boot_modules[@]}" >"$root/etc/vm-modules"

  # /etc, and /init.
  mkdir -p "$root"/{proc,sys,dev,run,tmp,mnt,root,var/lib}
  chmod 1777 "$root/tmp"
  chmod 700 "$root/root"
  printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
  printf '127.0.0.1 localhost\n::1 localhost\n127.0.1.1 minidocker-vm\n' >"$root/etc/hosts"
  echo minidocker-vm >"$root/etc/hostname"
  ln -sf /proc/self/mounts "$root/etc/mtab"
  install -m 0755 guest/init "$root/init"

  # Every program we ship must find its libraries in the image itself, not on the host.
  local prog
  for prog in /bin/bash /bin/tar /bin/busybox /usr/sbin/xtables-nft-multi; do
    chroot "$root" /lib64/ld-linux-x86-64.so.2 --list "$prog" | grep -q 'not found' &&
      die "$prog in the lean image misses libraries: $(chroot "$root" /lib64/ld-linux-x86-64.so.2 --list "$prog" | grep 'not found')"
  done
  chroot "$root" /bin/bash -c 'tar --version >/dev/null && iptables --version >/dev/null' ||
    die "bash, tar or iptables do not run in the lean image"

  # The initramfs, uncompressed: QEMU copies it into guest memory at host speed, while
  # decompressing it inside the guest would cost seconds under TCG.
  (cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$out/initrd.img"

  {
    echo "kernel: $kpkg $(dpkg-deb -f "$(apt_download "$kpkg")" Version)"
    for deb in $(apt_download "${lean_packages[@]}"); do
      echo "package: $(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)"
    done
    echo "modules: $(echo "$paths" | sed 's,.*/,,; s,\.ko$,,' | sort | tr '\n' ' ')"
  } >"$out/manifest.txt"
}

# module_paths MODDIR NAME...: the paths (relative to MODDIR) of the modules NAME and of the
# modules they depend on. A module built into the kernel needs no file; an unknown one is an error.
module_paths() {
  local moddir=$1
  shift
  printf '%s\n' "$@" | awk -v dep="$moddir/modules.dep" -v builtin="$moddir/modules.builtin" '
    function modname(path) { sub(/:$/, "", path); sub(/.*\//, "", path); sub(/\.ko$/, "", path); gsub("-", "_", path); return path }
    { wanted[$1] = 1 }
    END {
      while ((getline line < builtin) > 0) { split(line, f, " "); if (modname(f[1]) in wanted) found[modname(f[1])] = 1 }
      while ((getline line < dep) > 0) {
        n = split(line, f, " ")
        if (modname(f[1]) in wanted) {
          found[modname(f[1])] = 1
          sub(/:$/, "", f[1])
          for (i = 1; i <= n; i++) print f[i]
        }
      }
      for (m in wanted) if (!(m in found)) { print "vm/build: unknown kernel module " m > "/dev/stderr"; exit 1 }
    }' | sort -u
}
