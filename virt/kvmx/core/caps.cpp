// SPDX-License-Identifier: GPL-2.0
// Capability registry: the known list comes from include/kvmx/caps.def; values of the
// generic capabilities are decided here, arch ones by arch_check_extension(). Answers
// depend only on what kvmx implements, never on which host it runs on beyond hardware
// limits that upstream also reports (e.g. the IPA size).
#include "caps.hpp"
#include "arch.hpp"
#include "dirty_log.hpp"
#include "memslot.hpp"
#include "registry.hpp"
#include "vm.hpp"
#include <linux/kvm.h>
#include <linux/kvmx.h>

namespace kvmx {

namespace {

constexpr CapInfo caps_table[] = {
#define KVMX_CAP(constant) { constant, #constant },
#include <kvmx/caps.def>
#undef KVMX_CAP
};

constexpr usize caps_count = sizeof(caps_table) / sizeof(caps_table[0]);

} // namespace

const CapInfo *known_caps(usize *count)
{
	*count = caps_count;
	return caps_table;
}

bool cap_is_known(u64 cap)
{
	for (const CapInfo &info : caps_table) {
		if (info.number == cap)
			return true;
	}
	return false;
}

long check_extension(const Vm *vm, u64 cap)
{
	if (!cap_is_known(cap))
		return 0;

	switch (cap) {
	case KVM_CAP_CHECK_EXTENSION_VM:
		return 1; // the VM fd answers KVM_CHECK_EXTENSION (vm.cpp)
	case KVM_CAP_USER_MEMORY:
		return 1; // KVM_SET_USER_MEMORY_REGION (vm.cpp, memslot.cpp)
#ifdef KVMX_ARCH_COALESCED_MMIO
	case KVM_CAP_COALESCED_MMIO:
		return KVM_COALESCED_MMIO_PAGE_OFFSET; // the ring's page in the vCPU mmap
#endif
	case KVM_CAP_USER_MEMORY2:
		return 1; // KVM_SET_USER_MEMORY_REGION2 (Linux 6.8), no guest_memfd
	case KVM_CAP_GUEST_MEMFD:
		return 0; // no private memory: KVM_MEM_GUEST_MEMFD is refused
	case KVM_CAP_DESTROY_MEMORY_REGION_WORKS: // a zero-sized region deletes the slot
	case KVM_CAP_JOIN_MEMORY_REGIONS_WORKS:	  // adjacent slots are independent
	case KVM_CAP_INTERNAL_ERROR_DATA:	  // KVM_EXIT_INTERNAL_ERROR fills ndata
	case KVM_CAP_SYSTEM_EVENT_DATA:		  // KVM_EXIT_SYSTEM_EVENT fills ndata
	case KVM_CAP_ENABLE_CAP_VM:		  // KVM_ENABLE_CAP on the VM fd
	case KVM_CAP_IOEVENTFD:			  // ioeventfd.cpp
	case KVM_CAP_IOEVENTFD_ANY_LENGTH:	  // length 0: any write to the address
	case KVM_CAP_IRQFD:			  // irqfd.cpp (-EAGAIN without an irqchip)
	case KVM_CAP_IRQFD_RESAMPLE:
		return 1;
#ifdef KVMX_ARCH_HALT_POLL
	case KVM_CAP_HALT_POLL: // halt_poll.cpp, where the arch idles through vcpu_halt
		return 1;
#endif
	case KVM_CAP_NR_MEMSLOTS:
		return max_memslots;
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		return dirty_log_manual_caps; // dirty_log.cpp
	case KVM_CAP_BINARY_STATS_FD:
		return 1;      // VM and vCPU stats fds (stats.cpp)
	case KVM_CAP_NR_VCPUS: // recommended: no more vCPUs than host CPUs
		return registry().host.nr_cpus < max_vcpus ? registry().host.nr_cpus : max_vcpus;
	case KVM_CAP_MAX_VCPUS:
	case KVM_CAP_MAX_VCPU_ID:
		return max_vcpus; // vm.cpp's vCPU table
	default:
		return arch_check_extension(vm, cap);
	}
}

} // namespace kvmx
