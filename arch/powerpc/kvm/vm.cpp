// SPDX-License-Identifier: GPL-2.0
// POWER9 VMs: KVM_CREATE_VM's type (KVM_VM_PPC_HV; PR guests are not kvmx's), the
// partition (LPID, partition-scoped radix tree, partition-table entry), guest memory
// faults, KVM_PPC_CONFIGURE_V3_MMU, KVM_ENABLE_CAP and the POWER capability values.
#include "arch.hpp"
#include "ioctl.hpp"
#include "ppc.hpp"
#include "spr.hpp"
#include "registry.hpp"
#include "vcpu.hpp"
#include "dirty_log.hpp"
#include "vm.hpp"
#include "xive_native.hpp"
#include <linux/kvm.h>
#include <linux/kvmx.h>

namespace kvmx {

namespace {

// Process-table doubleword (PATE1) fields of Power ISA 3.0B: GR (guest radix) in bit 63,
// the table size PRTS (2^(12 + PRTS) bytes) in the low 5 bits.
constexpr u64 pate1_gr = 1ULL << 63;
constexpr u64 pate1_prts_mask = 0x1f;
constexpr u64 prts_max = 24; // upstream's bound: a 64 GB process table at most

// The VM's LPCR: the host's wake-up enables, HV decrementer and HV virtualization
// interrupts to the hypervisor, radix (HR, UPRT), external interrupts to the hypervisor
// (LPES = 0: kvmx delivers them, LPCR[MER] waits for the guest to enable them).
u64 vm_lpcr(u64 mmu_flags)
{
	using namespace ppc;
	u64 l = (registry().host.ppc_host_lpcr & LPCR_PECE) | 4ULL << LPCR_DPFD_SHIFT | LPCR_HDICE |
		LPCR_HVICE | LPCR_HEIC | LPCR_UPRT | LPCR_HR;
	if (mmu_flags & KVM_PPC_MMUV3_GTSE)
		l |= LPCR_GTSE;
	return l;
}

} // namespace

int ppc_check_mmuv3_cfg(u64 flags, u64 process_table)
{
	if (flags & ~static_cast<u64>(KVM_PPC_MMUV3_RADIX | KVM_PPC_MMUV3_GTSE))
		return -EINVAL;
	if (!(flags & KVM_PPC_MMUV3_RADIX))
		return -EINVAL; // hash (HPT) guests: not supported by kvmx
	if (!(process_table & pate1_gr))
		return -EINVAL; // GR must agree with the RADIX flag
	if ((process_table & pate1_prts_mask) > prts_max)
		return -EINVAL;
	return 0;
}

Status arch_init(const kvmx_host_info &host)
{
	// No hypervisor mode (a pseries guest kernel): nothing to set up, the glue has said
	// why at load; the capabilities read 0 and KVM_CREATE_VM fails.
	if (host.ppc_no_hv)
		return Status::ok();
	// The glue has checked HV mode, ISA 3.0 and a radix host (arch-powerpc.c).
	if (!host.ppc_hv_radix) {
		kvmx_host_log(KVMX_LOG_ERR, "kvmx: host is not a radix POWER9 hypervisor\n");
		return Status::error(-ENODEV);
	}
	return Status::ok();
}

Status arch_vm_init(ArchVm &arch, unsigned long type)
{
	// Without hypervisor mode no type can run: -EINVAL, as upstream answers KVM_CREATE_VM
	// when neither kvm-hv nor kvm-pr can serve the type, and the errno VMMs already read
	// as "no usable POWER KVM here". arch_vm_init does not see the VM id: vm 0
	// (never given to a VM) stands for none.
	if (registry().host.ppc_no_hv) {
		kvmx_host_log_guest(
			KVMX_LOG_WARN, 0, -1,
			"KVM_CREATE_VM(0x%lx) refused: no hypervisor mode (not a powernv host)\n",
			type);
		return Status::error(-EINVAL);
	}
	// Type 0 lets upstream pick HV or PR; kvmx has only HV.
	if (type != 0 && type != KVM_VM_PPC_HV)
		return Status::error(-EINVAL);
	arch.ipa_bits = RadixTree::ra_bits;
	arch.smt_mode = 1;
	return Status::ok();
}

Status arch_vm_create(Vm *vm)
{
	ArchVm &a = vm->arch;
	a.mmu_cfg = kvmx_host_mutex_create();
	a.vpa_lock = kvmx_host_spinlock_create();
	a.tce_lock = kvmx_host_mutex_create();
	if (!a.mmu_cfg || !a.vpa_lock || !a.tce_lock)
		return Status::error(-ENOMEM);
	a.hcalls_on = ppc_hcalls_default_on();
	Result<RadixTree *> t = RadixTree::create();
	if (!t.is_ok())
		return Status::error(t.err());
	a.radix = t.value();
	int lpid = kvmx_ppc_lpid_alloc();
	if (lpid < 0)
		return Status::error(lpid);
	a.lpid = static_cast<u32>(lpid);
	a.lpcr = vm_lpcr(0);
	// The entry flushes whatever an earlier partition with this LPID left cached.
	kvmx_ppc_set_partition(a.lpid, a.radix->pate0(), 0);
	return Status::ok();
}

void arch_vm_destroy(Vm *vm)
{
	ArchVm &a = vm->arch;
	if (a.lpid) {
		kvmx_ppc_set_partition(a.lpid, 0, 0);
		kvmx_ppc_flush_lpid(a.lpid);
		kvmx_ppc_lpid_free(a.lpid);
	}
	RadixTree::destroy(a.radix);
	if (a.mmu_cfg)
		kvmx_host_mutex_destroy(a.mmu_cfg);
	if (a.vpa_lock)
		kvmx_host_spinlock_destroy(a.vpa_lock);
	// Every TCE table's fd holds a VM reference: none is left when the VM goes.
	if (a.tce_lock)
		kvmx_host_mutex_destroy(a.tce_lock);
	a = ArchVm{};
}

void arch_vm_unmap_gfns(Vm *vm, u64 gfn, u64 npages)
{
	if (vm->arch.radix && vm->arch.radix->unmap_range(gfn << page_shift, npages << page_shift))
		kvmx_ppc_flush_lpid(vm->arch.lpid);
}

long arch_check_extension(const Vm *, u64 cap)
{
	// No hypervisor mode: no VM can exist, so no POWER capability (nor ONE_REG, SYNC_MMU,
	// IMMEDIATE_EXIT, decided here too) is offered. The core's generic ones stay.
	if (registry().host.ppc_no_hv)
		return 0;
	switch (cap) {
	case KVM_CAP_PPC_MMU_RADIX:
	case KVM_CAP_PPC_PAPR:
	case KVM_CAP_ONE_REG:
	case KVM_CAP_SYNC_MMU:
	case KVM_CAP_IMMEDIATE_EXIT:
	case KVM_CAP_PPC_UNSET_IRQ:
	case KVM_CAP_PPC_IRQ_LEVEL:
	case KVMX_CAP_PPC_STOP0LITE:
		return 1;
	case KVM_CAP_PPC_SEGSTATE:
		return 1; // KVM_GET/SET_SREGS in the Book3S layout (the PVR; no SLB: radix)
	case KVM_CAP_PPC_GET_SMMU_INFO:
	case KVM_CAP_PPC_GET_CPU_CHAR:
		return 1; // host_info.cpp
	case KVM_CAP_ENABLE_CAP:
		return 1; // vCPU KVM_ENABLE_CAP: PAPR, IRQ_XIVE, FWNMI (vcpu.cpp)
	case KVM_CAP_PPC_ENABLE_HCALL:
		return 1; // in-kernel hypercalls switched off and on (hcalls_enabled)
	case KVM_CAP_PPC_FWNMI:
		return 1; // guest machine checks end KVM_RUN as KVM_EXIT_NMI once enabled
	case KVM_CAP_DEVICE_CTRL:
		return 1; // KVM_CREATE_DEVICE (the XIVE native device, xive_native.cpp)
	case KVM_CAP_SPAPR_TCE:
	case KVM_CAP_SPAPR_TCE_64:
	case KVM_CAP_SPAPR_MULTITCE:
		return 1; // in-kernel TCE tables and their four hypercalls (tce.cpp)
	case KVM_CAP_PPC_SMT:
		return 1; // one thread per core by default; up to 8 emulated (ENABLE_CAP)
	case KVM_CAP_PPC_IRQ_XIVE:
		return xive_host_ok() ? 1 : 0;
	case KVM_CAP_PPC_AIL_MODE_3:
		// With LPCR[AIL] = 3 a POWER9 delivers a radix guest's hypervisor interrupts
		// with translation on; kvmx's way back then runs through the stub's linear
		// alias, which the glue makes executable where it can (powerpc.rst).
		return registry().host.ppc_ail3 ? 1 : 0;
	case KVM_CAP_PPC_SMT_POSSIBLE:
		return 1 | 2 | 4 | 8;
	default:
		// Everything else: not (yet) on kvmx.
		return 0;
	}
}

// In-kernel interrupt sources on POWER, as upstream: a GSI is a source number of the
// VM's XIVE device (no routing tables: KVM_CAP_IRQ_ROUTING reads 0, every
// KVM_SET_GSI_ROUTING entry is refused, no KVM_SIGNAL_MSI); an irqfd triggers the source
// (xive_native.cpp). Without a XIVE device irqfds are refused with -EAGAIN.
bool arch_irqchip_ready(const Vm *vm)
{
	return load_acquire(&vm->arch.xive) != nullptr;
}

Status arch_routing_entry_check(const Vm *, const kvm_irq_routing_entry &)
{
	return Status::error(-EINVAL);
}

bool arch_gsi_direct(const Vm *, u32 gsi, kvm_irq_routing_entry *e)
{
	*e = kvm_irq_routing_entry{};
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = 0;
	e->u.irqchip.pin = gsi;
	return true;
}

int arch_set_irq(Vm *vm, const kvm_irq_routing_entry &e, int level)
{
	if (e.type != KVM_IRQ_ROUTING_IRQCHIP)
		return -EINVAL;
	return xive_set_irq(vm, e.u.irqchip.pin, level);
}

bool arch_irqfd_raise_only(const Vm *)
{
	return false; // upstream's generic irqfd: a pulse (no atomic fast path on POWER)
}

long arch_signal_msi(Vm *, const kvm_msi &)
{
	return -ENODEV;
}

namespace {

long configure_v3_mmu(Vm *vm, unsigned long arg)
{
	kvm_ppc_mmuv3_cfg cfg;
	if (kvmx_host_copy_from_user(&cfg, arg, sizeof(cfg)))
		return -EFAULT;
	int r = ppc_check_mmuv3_cfg(cfg.flags, cfg.process_table);
	if (r)
		return r;
	ArchVm &a = vm->arch;
	kvmx_host_mutex_lock(a.mmu_cfg);
	a.mmu_flags = cfg.flags;
	a.process_table = cfg.process_table;
	a.mmu_v3 = true;
	store_release(&a.lpcr, vm_lpcr(cfg.flags));
	kvmx_ppc_set_partition(a.lpid, a.radix->pate0(), cfg.process_table);
	kvmx_host_mutex_unlock(a.mmu_cfg);
	return 0;
}

long enable_cap(Vm *vm, const kvm_enable_cap &cap)
{
	ArchVm &a = vm->arch;
	switch (cap.cap) {
	case KVMX_CAP_PPC_STOP0LITE: {
		// Guest-visible: only before any vCPU ran, never switched off again.
		if (cap.flags || cap.args[0] || cap.args[1] || cap.args[2] || cap.args[3])
			return -EINVAL;
		kvmx_host_mutex_lock(vm->lock);
		long r = load_acquire(&vm->has_run) ? -EBUSY : 0;
		if (!r)
			a.stop0lite = true;
		kvmx_host_mutex_unlock(vm->lock);
		return r;
	}
	case KVM_CAP_PPC_SMT: {
		// args[0] = threads per virtual core (a power of two up to 8), as upstream.
		u64 mode = cap.args[0];
		if (cap.flags || cap.args[1] || !mode || mode > 8 || (mode & (mode - 1)))
			return -EINVAL;
		kvmx_host_mutex_lock(vm->lock);
		long r = load_acquire(&vm->nr_vcpus) ? -EBUSY : 0;
		if (!r)
			a.smt_mode = static_cast<u32>(mode);
		kvmx_host_mutex_unlock(vm->lock);
		return r;
	}
	case KVM_CAP_PPC_ENABLE_HCALL:
		// args[0] = the hypercall, args[1] = 1 (handle it in the kernel) or 0 (hand it
		// to userspace). Only the hypercalls kvmx implements in the kernel; upstream's
		// checks and errno.
		if (cap.flags || cap.args[0] > max_hcall_opcode || (cap.args[0] & 3) ||
		    cap.args[1] > 1)
			return -EINVAL;
		return ppc_hcall_set_enabled(vm, cap.args[0], cap.args[1] != 0);
	default:
		return -EINVAL;
	}
}

} // namespace

long arch_vm_ioctl(Vm *vm, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case KVM_PPC_CONFIGURE_V3_MMU:
		return configure_v3_mmu(vm, arg);
	case KVM_PPC_GET_SMMU_INFO:
		return ppc_get_smmu_info(arg);
	case KVM_PPC_GET_RMMU_INFO:
		return ppc_get_rmmu_info(arg);
	case KVM_PPC_GET_CPU_CHAR:
		return ppc_get_cpu_char(arg);
	case KVM_CREATE_SPAPR_TCE_64: {
		kvm_create_spapr_tce_64 args;
		if (kvmx_host_copy_from_user(&args, arg, sizeof(args)))
			return -EFAULT;
		return ppc_create_spapr_tce(vm, args);
	}
	case KVM_CREATE_SPAPR_TCE: {
		// The 32-bit form: 4 KB IOMMU pages from bus address 0, as upstream.
		kvm_create_spapr_tce old;
		if (kvmx_host_copy_from_user(&old, arg, sizeof(old)))
			return -EFAULT;
		kvm_create_spapr_tce_64 args{};
		args.liobn = old.liobn;
		args.page_shift = 12;
		args.size = old.window_size >> 12;
		return ppc_create_spapr_tce(vm, args);
	}
	case KVM_ENABLE_CAP: {
		kvm_enable_cap cap;
		if (kvmx_host_copy_from_user(&cap, arg, sizeof(cap)))
			return -EFAULT;
		return enable_cap(vm, cap);
	}
	case KVM_CREATE_DEVICE: {
		kvm_create_device dev;
		if (kvmx_host_copy_from_user(&dev, arg, sizeof(dev)))
			return -EFAULT;
		long r = xive_create_device(vm, &dev);
		if (r)
			return r;
		// As upstream, a failed copy leaves the new fd installed.
		return kvmx_host_copy_to_user(arg, &dev, sizeof(dev)) ? -EFAULT : 0;
	}
	default:
		return unknown_ioctl(cmd);
	}
}

// A guest access that missed in the partition-scoped tree at guest real address @gpa
// (HDSI/HISI): map the memslot page, or report that there is none.
Result<bool> ppc_map_guest_page(Vcpu *vcpu, u64 gpa, bool write)
{
	Vm *vm = vcpu->vm;
	u64 gfn = gpa >> page_shift;
	Memslot slot{};
	bool found = false;
	u64 seq;
	{
		SpinGuard mmu(vm->mmu_lock);
		const Memslot *s = vm->memslots->find(gfn);
		if (s) {
			slot = *s;
			found = true;
		}
		seq = vm->mmu_seq;
	}
	if (!found || (write && slot.readonly()))
		return false;
	u64 pa;
	void *page = nullptr;
	bool io = false;
	int r = memslot_get_page(slot, gfn, &write, &pa, &page);
	if (r == -EFAULT) {
		// Not RAM: device registers the VMM mapped (the XIVE device's ESB and TIMA
		// pages, as a VMM maps them for its guest). Writable where the mapping is.
		u64 hva = slot.gfn_to_hva(gfn);
		bool w = !slot.readonly();
		r = kvmx_host_get_user_pfn(hva, w, &pa);
		if (r && w && !write) {
			w = false;
			r = kvmx_host_get_user_pfn(hva, 0, &pa);
		}
		if (!r) {
			io = true;
			write = w;
		}
	}
	if (r == -EINTR)
		return true; // the run loop returns -EINTR for the signal
	if (r) {
		kvmx_host_log_guest(KVMX_LOG_WARN, vm->id, static_cast<int>(vcpu->id),
				    "no user memory at hva %#llx for gpa %#llx (%d)\n",
				    slot.gfn_to_hva(gfn), gpa, r);
		return Status::error(-EFAULT);
	}
	// The guest pages to map: the one that faulted, or every 4 KB piece of the host page
	// behind it (64 KB on Debian ppc64el) when that page is RAM, wholly inside the slot
	// at the same offset in the host page and in the guest's address space, and the slot
	// is not dirty-logged (its writes are tracked page by page). The host page is one
	// struct page, referenced, mapped and invalidated as a whole (the MMU notifier sees
	// host pages), so its pieces can be mapped at once, as kvm-hv maps a host page (or
	// more) per fault; the guest then takes one fault per host page instead of 16.
	u64 base = gpa & ~(page_size - 1), hpa = pa & ~(page_size - 1), count = 1;
	const u32 hshift = registry().host.page_shift;
	if (page && hshift > page_shift && !slot.dirty_logging()) {
		const u64 span = 1ULL << hshift;
		const u64 first = (gpa & ~(span - 1)) >> page_shift, n = span >> page_shift;
		if (first >= slot.base_gfn && first + n <= slot.end_gfn() &&
		    !((slot.gfn_to_hva(gfn) ^ gpa) & (span - 1))) {
			base = first << page_shift;
			hpa = pa & ~(span - 1);
			count = n;
		}
	}
	Status st = vcpu->arch.cache.topup();
	if (st.is_ok()) {
		SpinGuard mmu(vm->mmu_lock);
		if (!vm->mmu_in_progress && vm->mmu_seq == seq) {
			// Entries made writable that were read-only: no CPU may keep the old ones.
			bool upgrade = false;
			for (u64 i = 0; i < count && st.is_ok(); i++) {
				u64 g = base + (i << page_shift), h = hpa + (i << page_shift);
				bool was_writable = false;
				upgrade |= vm->arch.radix->lookup(g, &was_writable) == h && write &&
					   !was_writable;
				st = vm->arch.radix->map_page(g, h, write, &vcpu->arch.cache, io);
				if (st.err() == -EEXIST) {
					// A stale page from before an invalidation we raced with.
					vm->arch.radix->unmap_range(g, page_size);
					kvmx_ppc_flush_lpid(vm->arch.lpid);
					st = vm->arch.radix->map_page(g, h, write,
								      &vcpu->arch.cache, io);
				}
			}
			if (st.is_ok() && upgrade)
				kvmx_ppc_flush_lpid(vm->arch.lpid);
			if (st.is_ok() && write && !io) {
				for (u64 i = 0; i < count; i++)
					mark_page_dirty(vm, slot, (base >> page_shift) + i);
			}
		}
	}
	if (page)
		kvmx_host_put_user_page(page, write && st.is_ok());
	if (!st.is_ok())
		return Status::error(st.err());
	return true;
}

} // namespace kvmx
