// SPDX-License-Identifier: GPL-2.0
// In-kernel TCE tables for the guest's emulated PCI devices (sPAPR IOMMU): a VMM creates
// one per DMA window with KVM_CREATE_SPAPR_TCE(_64) and maps it through the returned fd;
// the guest's H_PUT_TCE, H_GET_TCE, H_PUT_TCE_INDIRECT and H_STUFF_TCE on that window are
// then answered here, storing Translation Control Entries the VMM reads when its devices
// do DMA. A window kvmx has no table for goes to userspace, as upstream's H_TOO_HARD.
// No hardware IOMMU is programmed (no VFIO: KVM_CAP_SPAPR_TCE_VFIO reads 0).
#include "ppc.hpp"
#include "registry.hpp"
#include "vcpu.hpp"
#include "vm.hpp"
#include <linux/kvm.h>

struct kvmx_ppc_tce {
	kvmx::Vm *vm; // the fd's reference
	kvmx::u64 liobn;
	kvmx::u32 page_shift; // IOMMU page size of the window
	kvmx::u64 offset;     // first entry (bus address >> page_shift)
	kvmx::u64 size;	      // entries
	kvmx_mutex *lock;     // allocation of pages[]
	kvmx::u64 nr_pages;   // host pages holding size entries
	kvmx::u64 **pages;    // allocated on first use (an entry written or a page mapped)
	kvmx_ppc_tce *next;   // the VM's list (ArchVm::tce_lock)
};

namespace kvmx {

namespace {

constexpr u64 H_SUCCESS = 0, H_PARAMETER = static_cast<u64>(-4LL);
constexpr u64 H_GET_TCE = 0x1c, H_PUT_TCE = 0x20, H_STUFF_TCE = 0x138, H_PUT_TCE_INDIRECT = 0x13c;
constexpr u64 TCE_PCI_READ = 1, TCE_PCI_WRITE = 2;
constexpr u64 indirect_max = 512; // PAPR: a TCE list is one 4 KB page
// The most table one window may take: 1 GB, 2^27 entries (512 GB of bus space in 4 KB
// IOMMU pages). Larger requests fail with -ENOMEM, as upstream's allocation would.
constexpr u64 table_bytes_max = 1ULL << 30;

u64 host_page_size()
{
	return 1ULL << registry().host.ppc_page_shift;
}

u64 entries_per_page()
{
	return host_page_size() / sizeof(u64);
}

// The page holding entry @idx (relative to the window), allocated when @alloc.
u64 *table_page(kvmx_ppc_tce *t, u64 page, bool alloc)
{
	if (page >= t->nr_pages)
		return nullptr;
	u64 *p = load_acquire(&t->pages[page]);
	if (p || !alloc)
		return p;
	MutexGuard guard(t->lock);
	p = t->pages[page];
	if (!p) {
		p = static_cast<u64 *>(kvmx_host_alloc_page());
		if (p)
			store_release(&t->pages[page], p);
	}
	return p;
}

void table_put(kvmx_ppc_tce *t, u64 entry, u64 tce)
{
	u64 idx = entry - t->offset;
	u64 *p = table_page(t, idx / entries_per_page(), tce != 0);
	if (p) // no page and a zero entry: nothing to clear
		store_release(&p[idx % entries_per_page()], tce);
}

// H_STUFF_TCE's n entries from @entry, a table page at a time: a page never written holds
// zeros, so clearing stays a look at its pointer (a guest clears its whole window at
// boot: 262144 entries for QEMU's 1 GB default window, in 512 calls of 512). The stores
// are ordered after what came before them, not among themselves (upstream's WRITE_ONCE).
void table_stuff(kvmx_ppc_tce *t, u64 entry, u64 n, u64 tce)
{
	const u64 per = entries_per_page();
	u64 idx = entry - t->offset;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	while (n) {
		u64 first = idx % per, k = per - first;
		if (k > n)
			k = n;
		u64 *p = table_page(t, idx / per, tce != 0);
		for (u64 i = 0; p && i < k; i++)
			__atomic_store_n(&p[first + i], tce, __ATOMIC_RELAXED);
		idx += k;
		n -= k;
	}
}

u64 table_get(kvmx_ppc_tce *t, u64 entry)
{
	u64 idx = entry - t->offset;
	u64 *p = table_page(t, idx / entries_per_page(), false);
	return p ? load_acquire(&p[idx % entries_per_page()]) : 0;
}

// The window covers [ioba, ioba + n IOMMU pages), ioba on an IOMMU page: upstream's
// iommu_tce_check_ioba.
bool ioba_ok(const kvmx_ppc_tce *t, u64 ioba, u64 n)
{
	u64 mask = (1ULL << t->page_shift) - 1;
	u64 idx = ioba >> t->page_shift;
	return !(ioba & mask) && idx >= t->offset && idx - t->offset + n <= t->size &&
	       idx - t->offset + n >= idx - t->offset;
}

bool in_guest_memory(Vm *vm, u64 gpa)
{
	SpinGuard mmu(vm->mmu_lock);
	return vm->memslots->find(gpa >> page_shift) != nullptr;
}

// Upstream's H_TOO_HARD: the hypercall is handed to userspace unchanged.
constexpr u64 too_hard = ~0ULL;

// A TCE kvmx stores itself: no access bits (a cleared or "poisoned" entry), or an
// IOMMU-page-aligned address in guest memory. Anything else is the VMM's to judge.
bool tce_ok(const kvmx_ppc_tce *t, u64 tce)
{
	u64 gpa = tce & ~(TCE_PCI_READ | TCE_PCI_WRITE);
	if (!(tce & (TCE_PCI_READ | TCE_PCI_WRITE)))
		return true;
	return !(gpa & ((1ULL << t->page_shift) - 1)) && in_guest_memory(t->vm, gpa);
}

kvmx_ppc_tce *find(Vm *vm, u64 liobn)
{
	for (kvmx_ppc_tce *t = vm->arch.tces; t; t = t->next) {
		if (t->liobn == liobn)
			return t;
	}
	return nullptr;
}

u64 put_indirect(Vcpu *vcpu, kvmx_ppc_tce *t, u64 ioba, u64 list, u64 n)
{
	if (n > indirect_max || (list & 0xfff) || !ioba_ok(t, ioba, n))
		return H_PARAMETER;
	u64 *tces = static_cast<u64 *>(kvmx_host_alloc_page());
	if (!tces)
		return too_hard;
	u64 r = H_SUCCESS;
	for (u64 i = 0; i < n && r == H_SUCCESS; i++) {
		u64 be = 0;
		if (ppc_read_guest(vcpu, list + i * 8, &be, 8))
			r = too_hard; // the list is not in guest memory
		tces[i] = __builtin_bswap64(be);
		if (r == H_SUCCESS && !tce_ok(t, tces[i]))
			r = too_hard;
	}
	for (u64 i = 0; i < n && r == H_SUCCESS; i++)
		table_put(t, (ioba >> t->page_shift) + i, tces[i]);
	kvmx_host_free_page(tces);
	return r;
}

} // namespace

bool ppc_tce_hcall(Vcpu *vcpu, u64 nr)
{
	Vm *vm = vcpu->vm;
	u64 *gpr = vcpu->arch.regs.gpr;
	if (nr != H_GET_TCE && nr != H_PUT_TCE && nr != H_STUFF_TCE && nr != H_PUT_TCE_INDIRECT)
		return false;
	MutexGuard guard(vm->arch.tce_lock);
	kvmx_ppc_tce *t = find(vm, gpr[4]);
	if (!t)
		return false; // a window the VMM keeps in userspace
	u64 ioba = gpr[5];
	u64 r = H_SUCCESS;
	switch (nr) {
	case H_PUT_TCE:
		if (!ioba_ok(t, ioba, 1))
			r = H_PARAMETER;
		else if (!tce_ok(t, gpr[6]))
			r = too_hard;
		else
			table_put(t, ioba >> t->page_shift, gpr[6]);
		break;
	case H_GET_TCE:
		if (!ioba_ok(t, ioba, 1))
			r = H_PARAMETER;
		else
			gpr[4] = table_get(t, ioba >> t->page_shift);
		break;
	case H_STUFF_TCE:
		// One value for n entries, without access bits (clearing or poisoning).
		if (!ioba_ok(t, ioba, gpr[7]) || (gpr[6] & (TCE_PCI_READ | TCE_PCI_WRITE)))
			r = H_PARAMETER;
		else
			table_stuff(t, ioba >> t->page_shift, gpr[7], gpr[6]);
		break;
	default:
		r = put_indirect(vcpu, t, ioba, gpr[6], gpr[7]);
		break;
	}
	if (r == too_hard)
		return false;
	gpr[3] = r;
	return true;
}

long ppc_create_spapr_tce(Vm *vm, const kvm_create_spapr_tce_64 &args)
{
	// Upstream's argument checks and errors.
	if (args.flags || !args.size || args.page_shift < 12 || args.page_shift > 34 ||
	    args.offset + args.size > (~0ULL >> args.page_shift) ||
	    args.offset + args.size < args.offset)
		return -EINVAL;
	if (args.size > table_bytes_max / sizeof(u64))
		return -ENOMEM;
	kvmx_ppc_tce *t = make_zeroed<kvmx_ppc_tce>();
	if (!t)
		return -ENOMEM;
	t->vm = vm;
	t->liobn = args.liobn;
	t->page_shift = args.page_shift;
	t->offset = args.offset;
	t->size = args.size;
	t->nr_pages = (args.size + entries_per_page() - 1) / entries_per_page();
	t->lock = kvmx_host_mutex_create();
	t->pages = static_cast<u64 **>(kvmx_host_zalloc(t->nr_pages * sizeof(u64 *)));
	long r = t->lock && t->pages ? 0 : -ENOMEM;
	if (!r) {
		MutexGuard guard(vm->arch.tce_lock);
		if (find(vm, args.liobn)) {
			r = -EBUSY;
		} else {
			vm_get(vm);
			r = kvmx_host_ppc_tce_fd_install(t);
			if (r >= 0) {
				t->next = vm->arch.tces;
				vm->arch.tces = t;
			} else {
				vm_put(vm);
			}
		}
	}
	if (r < 0) {
		kvmx_host_free(t->pages);
		if (t->lock)
			kvmx_host_mutex_destroy(t->lock);
		destroy(t);
	}
	return r;
}

} // namespace kvmx

extern "C" void *kvmx_ppc_tce_page(struct kvmx_ppc_tce *t, unsigned long pgoff)
{
	return kvmx::table_page(t, pgoff, true);
}

extern "C" void kvmx_ppc_tce_release(struct kvmx_ppc_tce *t)
{
	kvmx::Vm *vm = t->vm;
	{
		kvmx::MutexGuard guard(vm->arch.tce_lock);
		for (kvmx_ppc_tce **p = &vm->arch.tces; *p; p = &(*p)->next) {
			if (*p == t) {
				*p = t->next;
				break;
			}
		}
	}
	for (kvmx::u64 i = 0; i < t->nr_pages; i++)
		kvmx_host_free_page(t->pages[i]);
	kvmx_host_free(t->pages);
	kvmx_host_mutex_destroy(t->lock);
	kvmx::destroy(t);
	kvmx::vm_put(vm);
}
