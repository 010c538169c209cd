// SPDX-License-Identifier: GPL-2.0
/*
 * kvmx module entry: parameters, the host check, /dev/kvm (misc device, minor KVM_MINOR)
 * and its ioctls, which go straight to the C++ core. Owns nothing else; every open fd
 * holds a module reference through its file_operations' owner, so rmmod is refused while
 * any /dev/kvm, VM or vCPU fd is open.
 */
#include <linux/cpumask.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sysfs.h>

#include "glue.h"

#ifndef KVMX_VERSION
#define KVMX_VERSION "0.1.0"
#endif

static unsigned int max_vms = 1024;
module_param(max_vms, uint, 0444);
MODULE_PARM_DESC(max_vms, "Most VMs alive at once, KVM_CREATE_VM beyond fails with ENOSPC");

bool kvmx_debug;
module_param_named(debug, kvmx_debug, bool, 0644);
MODULE_PARM_DESC(debug, "Log VM lifecycle events at KERN_DEBUG (default off)");

/*
 * The most a vCPU busy-waits for a wake-up before its thread sleeps (halt polling,
 * virt/kvmx/core/halt_poll.cpp), where the VMM did not choose with KVM_CAP_HALT_POLL.
 * arm64: upstream's KVM_HALT_POLL_NS_DEFAULT there, 500 us, so that an idle guest
 * polls and sleeps as on the built-in KVM (an IPI answered within 500 us is caught by
 * polling on both). POWER: 200 us, which covers the short timer sleeps of an idle
 * guest and its stop0lite wake-ups (kvm-hv polls its own way). performance.rst has the
 * measurements.
 */
#ifdef CONFIG_ARM64
#define KVMX_HALT_POLL_NS_DEFAULT 500000
#else
#define KVMX_HALT_POLL_NS_DEFAULT 200000
#endif
static unsigned int halt_poll_ns = KVMX_HALT_POLL_NS_DEFAULT;
module_param(halt_poll_ns, uint, 0644);
MODULE_PARM_DESC(halt_poll_ns, "Most ns a halted vCPU polls before it sleeps (0: never poll)");

unsigned int kvmx_host_halt_poll_ns(void)
{
	return READ_ONCE(halt_poll_ns);
}

static bool selftest;
module_param(selftest, bool, 0444);
MODULE_PARM_DESC(selftest,
		 "Run a tiny guest through the world switch at load; refuse to load if it fails");

/* Read-only: the lifecycle tests compare it before and after many VMs come and go. */
static int live_allocs_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", kvmx_host_live_allocs());
}

static const struct kernel_param_ops live_allocs_ops = {
	.get = live_allocs_get,
};
module_param_cb(live_allocs, &live_allocs_ops, NULL, 0444);
MODULE_PARM_DESC(live_allocs, "Allocations of the module alive now (read-only)");

static long kvmx_dev_unlocked_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return kvmx_dev_ioctl(cmd, arg);
}

static const struct file_operations kvmx_dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = kvmx_dev_unlocked_ioctl,
	.llseek = noop_llseek,
};

/*
 * No .mode: devtmpfs creates the node root:root 0600, as it does for the built-in KVM's,
 * and the device manager applies the distribution's policy (Debian's udev rule makes it
 * root:kvm 0660). A world-writable node would let any local user create VMs.
 */
static struct miscdevice kvmx_dev = {
	.minor = KVM_MINOR,
	.name = "kvm",
	.fops = &kvmx_dev_fops,
};

static int __init kvmx_init(void)
{
	struct kvmx_host_info info = {
		.nr_cpus = nr_cpu_ids, /* bounds every smp_processor_id() */
		.page_shift = PAGE_SHIFT,
		.max_vms = max_vms,
	};
	int r;

	if (max_vms == 0) {
		pr_err("kvmx: max_vms must be at least 1\n");
		return -EINVAL;
	}
	kvmx_sched_host_info(&info);
	r = kvmx_sched_init();
	if (r)
		return r;
	r = kvmx_arch_host_check(&info);
	if (r) {
		kvmx_arch_host_release();
		kvmx_sched_exit();
		return r;
	}
	r = kvmx_core_init(&info);
	if (r) {
		pr_err("kvmx: core initialisation failed (%d)\n", r);
		kvmx_arch_host_release();
		kvmx_sched_exit();
		return r;
	}
	if (selftest) {
		r = kvmx_arch_selftest();
		if (r) {
			pr_err("kvmx: world switch self-test failed (%d)\n", r);
			kvmx_core_exit();
			kvmx_arch_host_release();
			kvmx_sched_exit();
			return r;
		}
	}
	kvmx_kunit_run();
	r = misc_register(&kvmx_dev);
	if (r) {
		kvmx_kunit_exit();
		if (r == -EBUSY)
			pr_err("kvmx: /dev/kvm is already registered, most likely by the built-in KVM; boot the host with kvm-arm.mode=none\n");
		else
			pr_err("kvmx: cannot register /dev/kvm (%d)\n", r);
		kvmx_core_exit();
		kvmx_arch_host_release();
		kvmx_sched_exit();
		return r;
	}
	pr_info("kvmx: version %s loaded, /dev/kvm ready\n", KVMX_VERSION);
	return 0;
}

static void __exit kvmx_exit(void)
{
	misc_deregister(&kvmx_dev);
	kvmx_kunit_exit();
	WARN_ON(kvmx_core_nr_vms() != 0);
	kvmx_core_exit();
	kvmx_arch_host_release();
	kvmx_sched_exit();
	kvmx_host_check_leaks();
	pr_info("kvmx: unloaded\n");
}

module_init(kvmx_init);
module_exit(kvmx_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The kvmx developers");
MODULE_DESCRIPTION("kvmx: an independent KVM-compatible hypervisor core (/dev/kvm)");
MODULE_VERSION(KVMX_VERSION);
/*
 * Like a modular KVM: opening a /dev/kvm made before the module loaded (a static node
 * from modules.devname, `kmod static-nodes`) loads it.
 */
MODULE_ALIAS_MISCDEV(KVM_MINOR);
MODULE_ALIAS("devname:kvm");
