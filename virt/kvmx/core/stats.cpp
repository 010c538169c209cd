// SPDX-License-Identifier: GPL-2.0
// The binary stats file (Documentation/virt/kvm/api.rst, KVM_GET_STATS_FD): header, id
// string, descriptors, data, in that order, all produced on demand so reads are always
// current. Counters are plain u64s updated by their owner thread; a reader may see one
// mid-update value, never a torn one (aligned 64-bit loads).
#include "stats.hpp"
#include "vcpu.hpp"
#include "vm.hpp"
#include <linux/kvm.h>

namespace kvmx {

namespace {

constexpr u32 name_size = 48;	// upstream KVM_STATS_NAME_SIZE: id and stat names
constexpr u32 header_size = 24; // struct kvm_stats_header
constexpr u32 desc_base = 16;	// struct kvm_stats_desc without its name
constexpr u32 desc_size = desc_base + name_size;

struct StatDesc {
	const char *name;
	u32 offset; // byte offset in VcpuStats / VmStats
	bool ns;    // a time in nanoseconds (unit seconds, exponent -9), else a count
};

#define KVMX_VCPU_STAT(field)                                                                      \
	{                                                                                          \
#field, __builtin_offsetof(VcpuStats, field), false                                \
	}
#define KVMX_VCPU_STAT_NS(field)                                                                   \
	{                                                                                          \
#field, __builtin_offsetof(VcpuStats, field), true                                 \
	}
constexpr StatDesc vcpu_stats[] = {
	KVMX_VCPU_STAT(halt_wakeup),
	KVMX_VCPU_STAT(exits),
	KVMX_VCPU_STAT(signal_exits),
	KVMX_VCPU_STAT(wfe_exit_stat),
	KVMX_VCPU_STAT(wfi_exit_stat),
	KVMX_VCPU_STAT(hvc_exit_stat),
	KVMX_VCPU_STAT(mmio_exit_user),
	KVMX_VCPU_STAT(mmio_exit_kernel),
	KVMX_VCPU_STAT(irq_exits),
	KVMX_VCPU_STAT(halt_successful_poll),
	KVMX_VCPU_STAT(halt_attempted_poll),
	KVMX_VCPU_STAT(halt_poll_invalid),
	KVMX_VCPU_STAT_NS(halt_poll_success_ns),
	KVMX_VCPU_STAT_NS(halt_poll_fail_ns),
	KVMX_VCPU_STAT_NS(halt_wait_ns),
};
#undef KVMX_VCPU_STAT
#undef KVMX_VCPU_STAT_NS

#define KVMX_VM_STAT(field)                                                                        \
	{                                                                                          \
#field, __builtin_offsetof(VmStats, field), false                                  \
	}
constexpr StatDesc vm_stats[] = {
	KVMX_VM_STAT(remote_tlb_flush),
	KVMX_VM_STAT(remote_tlb_flush_requests),
};
#undef KVMX_VM_STAT

void put32(u8 *p, u32 v)
{
	for (u32 i = 0; i < 4; i++)
		p[i] = static_cast<u8>(v >> (8 * i));
}

void put64(u8 *p, u64 v)
{
	for (u32 i = 0; i < 8; i++)
		p[i] = static_cast<u8>(v >> (8 * i));
}

// "kvm-<pid>" for a VM, "kvm-<pid>/vcpu-<id>" for a vCPU, as upstream names them.
void format_id(char *out, u32 pid, const Vcpu *vcpu)
{
	char digits[12];
	usize n = 0, len = 0;
	auto put_num = [&](u32 v) {
		n = 0;
		do {
			digits[n++] = static_cast<char>('0' + v % 10);
			v /= 10;
		} while (v);
		while (n)
			out[len++] = digits[--n];
	};
	const char *prefix = "kvm-";
	for (const char *p = prefix; *p; p++)
		out[len++] = *p;
	put_num(pid);
	if (vcpu) {
		for (const char *p = "/vcpu-"; *p; p++)
			out[len++] = *p;
		put_num(vcpu->id);
	}
	out[len] = 0;
}

} // namespace

long stats_fd(Vm *vm, Vcpu *vcpu)
{
	vm_get(vm); // the fd's reference, dropped through kvmx_vm_release
	int fd = kvmx_host_stats_fd_install(vm, vcpu);
	if (fd < 0)
		vm_put(vm);
	return fd;
}

} // namespace kvmx

extern "C" long kvmx_stats_read(struct kvmx_vm *vm, struct kvmx_vcpu *vcpu, void *buf,
				kvmx_size_t size, kvmx_u64 offset)
{
	using namespace kvmx;
	const StatDesc *descs = vcpu ? vcpu_stats : vm_stats;
	const u32 num = vcpu ? sizeof(vcpu_stats) / sizeof(vcpu_stats[0])
			     : sizeof(vm_stats) / sizeof(vm_stats[0]);
	const u8 *base = vcpu ? reinterpret_cast<const u8 *>(&vcpu->stats)
			      : reinterpret_cast<const u8 *>(&vm->stats);
	const u32 id_offset = header_size, desc_offset = id_offset + name_size;
	const u32 data_offset = desc_offset + num * desc_size;
	const u64 total = data_offset + num * 8ULL;
	if (offset >= total)
		return 0;
	u8 *file = static_cast<u8 *>(kvmx_host_zalloc(total));
	if (!file)
		return -ENOMEM;
	put32(file + 0, 0);
	put32(file + 4, name_size);
	put32(file + 8, num);
	put32(file + 12, id_offset);
	put32(file + 16, desc_offset);
	put32(file + 20, data_offset);
	format_id(reinterpret_cast<char *>(file + id_offset), vm->creator_pid, vcpu);
	for (u32 i = 0; i < num; i++) {
		u8 *d = file + desc_offset + i * desc_size;
		const bool ns = descs[i].ns;
		put32(d + 0, KVM_STATS_TYPE_CUMULATIVE |
				     (ns ? KVM_STATS_UNIT_SECONDS : KVM_STATS_UNIT_NONE) |
				     KVM_STATS_BASE_POW10);
		// exponent (s16): -9 for nanoseconds
		d[4] = static_cast<u8>(ns ? -9 : 0), d[5] = ns ? 0xff : 0;
		d[6] = 1, d[7] = 0;  // size: one u64
		put32(d + 8, i * 8); // offset in the data block
		put32(d + 12, 0);    // bucket_size
		char *name = reinterpret_cast<char *>(d + desc_base);
		for (u32 c = 0; descs[i].name[c] && c + 1 < name_size; c++)
			name[c] = descs[i].name[c];
		u64 val = __atomic_load_n(reinterpret_cast<const u64 *>(base + descs[i].offset),
					  __ATOMIC_RELAXED);
		put64(file + data_offset + i * 8, val);
	}
	u64 n = total - offset < size ? total - offset : size;
	for (u64 i = 0; i < n; i++)
		static_cast<u8 *>(buf)[i] = file[offset + i];
	kvmx_host_free(file);
	return static_cast<long>(n);
}
