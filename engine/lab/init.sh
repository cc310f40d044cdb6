#!/bin/busybox sh
# PID 1 of a daxlab lab guest: bring up persistent memory, make a DAX filesystem on it,
# configure tracing, hand over to `daxlab lab guest` (the workload, which writes the trace
# captures to the second serial port), then power off.
#
# /lab.env (written by the host) sets: LAB_FS (ext4|xfs), LAB_PMEM (legacy|nvdimm),
# LAB_KPROBES (newline-separated kprobe definitions), LAB_GUEST (the workload's arguments)
# and LAB_MODEL (arguments of a `daxlab stress holetest` run on the mount, or empty).
# Lines starting "daxlab-lab:" on the console are for the host: phases, and what failed.

/bin/busybox mkdir -p /proc /sys /dev /mnt /tmp /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
. /lab.env

say() { echo "daxlab-lab: $*"; }
fail() {
    say "error: $*"
    poweroff -f
}

say "phase modules"
while read -r module; do
    insmod "/modules/$module" 2>/tmp/insmod.err || say "note: insmod $module: $(cat /tmp/insmod.err)"
done </modules/order

# devtmpfs makes the device node as soon as the driver registers the disk; wait for it.
wait_pmem() {
    n=0
    while [ ! -b /dev/pmem0 ]; do
        n=$((n + 1))
        [ "$n" -gt 100 ] && return 1
        sleep 0.05
    done
}

say "phase pmem $LAB_PMEM"
if [ "$LAB_PMEM" = nvdimm ]; then
    # A label-less NVDIMM comes up as a raw namespace that cannot do DAX; make it fsdax
    # with 2 MiB alignment and the struct pages on the device itself.
    wait_pmem || fail "no /dev/pmem0 from the NVDIMM"
    ndctl create-namespace -f -e namespace0.0 -m fsdax -a 2M -M dev >/tmp/ndctl.out 2>&1 ||
        fail "ndctl create-namespace: $(cat /tmp/ndctl.out)"
fi
wait_pmem || fail "no /dev/pmem0 appeared (is the pmem module loaded?)"

say "phase mkfs $LAB_FS"
case "$LAB_FS" in
ext4)
    # stride/stripe_width of 512 blocks: the allocator hands out 2 MiB-aligned extents.
    mkfs.ext4 -q -F -b 4096 -E stride=512,stripe_width=512 /dev/pmem0 >/tmp/mkfs.out 2>&1 ||
        fail "mkfs.ext4: $(cat /tmp/mkfs.out)"
    mount -t ext4 -o dax /dev/pmem0 /mnt 2>/tmp/mount.err || fail "mount -o dax: $(cat /tmp/mount.err)"
    ;;
xfs)
    # A 2 MiB stripe unit aligns data extents; the small log fits a 512 MiB device.
    mkfs.xfs -q -f -m reflink=0 -d su=2m,sw=1,agcount=2 -l size=64m,su=32k /dev/pmem0 >/tmp/mkfs.out 2>&1 ||
        fail "mkfs.xfs: $(cat /tmp/mkfs.out)"
    mount -t xfs -o dax=always /dev/pmem0 /mnt 2>/tmp/mount.err || fail "mount -o dax=always: $(cat /tmp/mount.err)"
    ;;
*)
    fail "unknown filesystem $LAB_FS"
    ;;
esac

say "phase tracing"
T=/sys/kernel/tracing
mount -t tracefs tracefs $T || fail "cannot mount tracefs"
echo 8192 >$T/buffer_size_kb
echo "$LAB_KPROBES" | while read -r probe; do
    [ -n "$probe" ] && { echo "$probe" >>$T/kprobe_events 2>/dev/null || say "note: kprobe refused: $probe"; }
done
[ -d $T/events/daxlab ] && echo 1 >$T/events/daxlab/enable
echo 1 >$T/events/fs_dax/enable || fail "this kernel has no fs_dax events"
echo 1 >$T/events/sched/sched_switch/enable
echo 1 >$T/events/sched/sched_wakeup/enable
echo 0 >$T/tracing_on
echo >$T/trace

say "phase workload"
cd /mnt || fail "no /mnt"
# shellcheck disable=SC2086 # LAB_GUEST is a list of arguments
/daxlab lab guest $LAB_GUEST
say "workload exit $?"
if [ -n "$LAB_MODEL" ]; then
    # The model on real threads over a file of this DAX mount: pmem/'s MAP_SYNC path.
    say "phase model-stress"
    # shellcheck disable=SC2086 # LAB_MODEL is a list of arguments
    /daxlab stress holetest $LAB_MODEL --pmem /mnt 2>&1 | sed 's/^/daxlab-model: /'
fi
cd /
sync
umount /mnt 2>/dev/null
say "phase done"
poweroff -f
