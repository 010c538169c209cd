// SPDX-License-Identifier: GPL-2.0
// The SMCCC filter (smccc_filter.hpp). The ranges are a sorted array of at most
// smccc_filter_max entries, allocated whole at the first insertion and freed with the VM:
// a vCPU looks a function id up without a lock (the filter is frozen once a vCPU has run:
// EBUSY after that, as upstream), so the array never moves, and a count published after
// each insertion bounds what a reader sees.
#include "smccc_filter.hpp"
#include "vm.hpp"
#include <linux/kvm.h>
#include <linux/kvmx.h>

namespace kvmx {

namespace {

// Upstream keeps the SMCCC architecture ranges (SMCCC_VERSION, the ARCH_WORKAROUND
// calls, ...) for itself, so that userspace cannot misrepresent the Spectre mitigations:
// they are inserted as HANDLE with the first range, and overlapping them is EEXIST.
constexpr u32 smc32_arch_begin = 0x80000000, smc32_arch_end = 0x8000ffff;
constexpr u32 smc64_arch_begin = 0xc0000000, smc64_arch_end = 0xc000ffff;
// Upstream's maple tree has no bound but memory; an insertion beyond this is -ENOMEM.
constexpr u32 smccc_filter_max = 512;
constexpr u8 nr_actions = KVM_SMCCC_FILTER_FWD_TO_USER + 1;

// Insert [start, end] (vm->lock held, the VM never run). -EEXIST if it overlaps a range.
int insert(ArchVm &a, u32 start, u32 end, u8 action)
{
	u32 n = a.smccc_count, i = 0;
	while (i < n && a.smccc_ranges[i].end < start)
		i++;
	if (i < n && a.smccc_ranges[i].start <= end)
		return -EEXIST;
	if (n == smccc_filter_max)
		return -ENOMEM;
	for (u32 j = n; j > i; j--)
		a.smccc_ranges[j] = a.smccc_ranges[j - 1];
	a.smccc_ranges[i] = SmcccRange{ start, end, action };
	store_release(&a.smccc_count, n + 1);
	return 0;
}

long set_filter(Vm *vm, unsigned long uaddr)
{
	kvm_smccc_filter f;
	if (kvmx_host_copy_from_user(&f, uaddr, sizeof(f)))
		return -EFAULT;
	for (u8 b : f.pad)
		if (b)
			return -EINVAL;
	u32 start = f.base, end = f.base + f.nr_functions - 1;
	if (end < start || f.action >= nr_actions)
		return -EINVAL;
	ArchVm &a = vm->arch;
	MutexGuard g(vm->lock);
	if (load_acquire(&vm->has_run))
		return -EBUSY;
	if (!a.smccc_ranges) {
		a.smccc_ranges = static_cast<SmcccRange *>(
			kvmx_host_zalloc(smccc_filter_max * sizeof(SmcccRange)));
		if (!a.smccc_ranges)
			return -ENOMEM;
		insert(a, smc32_arch_begin, smc32_arch_end, KVM_SMCCC_FILTER_HANDLE);
		insert(a, smc64_arch_begin, smc64_arch_end, KVM_SMCCC_FILTER_HANDLE);
	}
	return insert(a, start, end, f.action);
}

} // namespace

long smccc_filter_vm_attr(Vm *vm, unsigned int cmd, unsigned long arg)
{
	kvm_device_attr attr;
	if (kvmx_host_copy_from_user(&attr, arg, sizeof(attr)))
		return -EFAULT;
	if (attr.group != KVM_ARM_VM_SMCCC_CTRL || attr.attr != KVM_ARM_VM_SMCCC_FILTER)
		return -ENXIO;
	return cmd == KVM_HAS_DEVICE_ATTR ? 0 : set_filter(vm, attr.addr);
}

u8 smccc_filter_action(const Vm *vm, u32 fid)
{
	const ArchVm &a = vm->arch;
	u32 lo = 0, hi = load_acquire(&a.smccc_count);
	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		const SmcccRange &r = a.smccc_ranges[mid];
		if (fid < r.start)
			hi = mid;
		else if (fid > r.end)
			lo = mid + 1;
		else
			return r.action;
	}
	return KVM_SMCCC_FILTER_HANDLE;
}

void smccc_filter_destroy(Vm *vm)
{
	kvmx_host_free(vm->arch.smccc_ranges);
	vm->arch.smccc_ranges = nullptr;
	vm->arch.smccc_count = 0;
}

} // namespace kvmx
