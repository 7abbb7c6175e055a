# The full image, the learners' lab machine: Debian bookworm made with debootstrap, systemd on
# the unified (v2-only) cgroup hierarchy, the packages of vm/packages.txt. Sourced by vm/build,
# which calls build_image OUT TMP.
#
# OUT receives:
#   disk.qcow2       the machine's disk: one ext4 partition labelled minidocker-root, with extlinux
#                    in its boot sector, so it boots on its own (vm/make-box makes a Vagrant box
#                    of it); root has no password on the console
#   vmlinux          its kernel, uncompressed, and
#   initrd.img       its initramfs, for vm/run, which boots them directly (faster than the
#                    bootloader, and lets it add "minidocker.vmrun" to the kernel command line)
#   manifest.txt     the installed packages and their versions
# shellcheck shell=bash disable=SC2034,SC2154 # recipe_inputs is read, and cache, log, die... set, by vm/build

recipe_inputs=(packages.txt guest/vmrun.service guest/vmrun.target)

full_disk_mib=8192 # sparse: the qcow2 holds only what is written, about 1.1 GB
full_suite=bookworm
# The Debian mirror debootstrap and apt use (VM_DEBIAN_MIRROR, VM_DEBIAN_SECURITY to change them).
full_mirror=${VM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
full_security=${VM_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
full_kernel_args="root=LABEL=minidocker-root ro console=tty0 console=ttyS0 systemd.unified_cgroup_hierarchy=1 quiet"

build_image() {
  local out=$1 disk=$2/disk.raw mnt=$2/mnt offset=$((1024 * 1024))
  local packages
  read -r -a packages <<<"$(sed 's/#.*//' packages.txt | xargs)"

  # A disk with one bootable Linux partition starting at 1 MiB, and an ext4 file system in it,
  # made in place through mke2fs's offset (no partition device needed). extlinux 6.04 cannot
  # read ext4's 64bit and metadata_csum features, so those are off.
  truncate -s "${full_disk_mib}M" "$disk"
  printf 'label: dos\nstart=2048, type=83, bootable\n' | sfdisk -q "$disk"
  mkfs.ext4 -q -F -L minidocker-root -O ^64bit,^metadata_csum -E offset=$offset \
    "$disk" "$(((full_disk_mib - 1) * 1024))k"
  mkdir "$mnt"
  mount -o loop,offset=$offset "$disk" "$mnt"

  # The base system; its .debs are kept in vm/cache/debootstrap for the next build.
  mkdir -p "$cache/debootstrap"
  log "debootstrap $full_suite (minbase)"
  debootstrap --variant=minbase --cache-dir="$cache/debootstrap" "$full_suite" "$mnt" "$full_mirror" >&2

  # Then our packages with apt inside the new system, from bookworm, its updates and its
  # security archive (so the kernel is the current one), with the .debs kept in
  # vm/cache/apt-archives. No service starts while we install (policy-rc.d says no).
  cat >"$mnt/etc/apt/sources.list" <<EOF
deb $full_mirror $full_suite main
deb $full_mirror $full_suite-updates main
deb $full_security $full_suite-security main
EOF
  printf '#!/bin/sh\nexit 101\n' >"$mnt/usr/sbin/policy-rc.d"
  chmod 755 "$mnt/usr/sbin/policy-rc.d"
  mkdir -p "$cache/apt-archives"
  mount --bind "$cache/apt-archives" "$mnt/var/cache/apt/archives"
  for fs in proc sys dev dev/pts; do mount --bind "/$fs" "$mnt/$fs"; done
  log "apt-get install ${packages[*]}"
  # (Upgrade first: installing systemd-resolved points resolv.conf to a resolver that does not
  # run in the chroot, so apt must have fetched everything by then.)
  chroot "$mnt" apt-get update -qq
  chroot "$mnt" env DEBIAN_FRONTEND=noninteractive apt-get dist-upgrade -y -q >&2
  chroot "$mnt" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${packages[@]}" >&2
  chroot "$mnt" dpkg-query -W -f '${Package} ${Version}\n' >"$out/manifest.txt"

  configure_system "$mnt"

  # The bootloader: extlinux in the partition, the MBR code that starts it in sector 0.
  local kernel
  kernel=$(cd "$mnt/boot" && printf '%s\n' vmlinuz-* | sort -V | tail -n 1)
  mkdir -p "$mnt/boot/extlinux"
  cat >"$mnt/boot/extlinux/extlinux.conf" <<EOF
DEFAULT debian
TIMEOUT 0
LABEL debian
  LINUX /boot/$kernel
  INITRD /boot/initrd.img-${kernel#vmlinuz-}
  APPEND $full_kernel_args
EOF
  extlinux --install "$mnt/boot/extlinux" 2>&1 | grep -v '^/.*is device' >&2 || true
  dd if=/usr/lib/syslinux/mbr/mbr.bin of="$disk" bs=440 count=1 conv=notrunc status=none

  # The kernel and initramfs for vm/run's direct boot.
  vmlinux_from_bzimage "$mnt/boot/$kernel" "$out/vmlinux"
  cp "$mnt/boot/initrd.img-${kernel#vmlinuz-}" "$out/initrd.img"

  # Tidy up, unmount, and keep the disk as a sparse qcow2.
  for fs in dev/pts dev sys proc var/cache/apt/archives; do umount "$mnt/$fs"; done
  chroot "$mnt" apt-get clean
  rm -f "$mnt/usr/sbin/policy-rc.d"
  fstrim "$mnt" 2>/dev/null || true
  umount "$mnt"
  # The loop device goes when the file system is really unmounted; if it is still there,
  # something holds the file system and the copy below would catch it half written.
  [ -z "$(losetup -j "$disk")" ] || die "$disk is still in use after umount: $(losetup -j "$disk")"
  qemu-img convert -O qcow2 "$disk" "$out/disk.qcow2"
  rm -f "$disk"
}

# configure_system ROOT: the settings that make the installed system our lab machine.
configure_system() {
  local root=$1
  echo minidocker-vm >"$root/etc/hostname"
  printf '127.0.0.1 localhost\n127.0.1.1 minidocker-vm\n::1 localhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
  echo 'LABEL=minidocker-root / ext4 errors=remount-ro 0 1' >"$root/etc/fstab"

  # root logs in on the console without a password (a local lab machine; sshd refuses empty
  # passwords). Vagrant boxes get their vagrant user from vm/make-box.
  chroot "$root" passwd -d root >/dev/null

  # Any wired interface by DHCP (QEMU's user network, Vagrant's, libvirt's), names through resolved.
  cat >"$root/etc/systemd/network/80-wired.network" <<EOF
[Match]
Name=en* eth*

[Network]
DHCP=yes
EOF
  chroot "$root" systemctl enable -q systemd-networkd systemd-resolved

  # Each machine made from the image gets its own identity: machine-id at first boot, and
  # sshd's host keys the first time it starts.
  : >"$root/etc/machine-id"
  rm -f "$root"/etc/ssh/ssh_host_*
  mkdir -p "$root/etc/systemd/system/ssh.service.d"
  printf '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n' \
    >"$root/etc/systemd/system/ssh.service.d/host-keys.conf"

  # The tests start their own registry on a free port: the packaged one stays off.
  chroot "$root" systemctl disable -q docker-registry

  # vm/run's command runner, started by booting into vmrun.target.
  install -m 0644 guest/vmrun.service guest/vmrun.target "$root/etc/systemd/system/"

  # A small initramfs: the drivers for the disks QEMU, libvirt and VirtualBox attach, and ext4.
  # Initramfs-tools' default takes most modules, and unpacking those under TCG costs seconds.
  echo MODULES=list >"$root/etc/initramfs-tools/conf.d/minidocker-vm.conf"
  printf '%s\n' virtio_pci virtio_blk virtio_scsi sd_mod ahci ata_piix crc32c_generic ext4 \
    >>"$root/etc/initramfs-tools/modules"
  chroot "$root" update-initramfs -u -k all >&2
}
