// SPDX-License-Identifier: GPL-2.0
// Guest memory on arm64: stage 2 built on demand from memslots, torn down when memslots
// change or the MMU notifier says the user mapping changed; VMIDs; MMIO exits for
// accesses outside guest memory. User pages are referenced only while being mapped:
// the notifier, not a pin, keeps stage 2 in step with the process's page tables.
#include "aarch32.hpp"
#include "dirty_log.hpp"
#include "exits.hpp"
#include "firmware.hpp"
#include "inject.hpp"
#include "registry.hpp"
#include "smccc_filter.hpp"
#include "vcpu.hpp"
#include "vgic/kvm.hpp"
#include "vm.hpp"

namespace kvmx {

namespace {

// ESR_EL2 ISS for data/instruction aborts (D17.2.37).
constexpr u64 ESR_ISV = 1ULL << 24, ESR_SSE = 1ULL << 21, ESR_SF = 1ULL << 15;
constexpr u64 ESR_S1PTW = 1ULL << 7, ESR_WNR = 1ULL << 6, ESR_FSC_MASK = 0x3f;
constexpr u32 ESR_SAS_SHIFT = 22, ESR_SRT_SHIFT = 16;
constexpr u64 FSC_TYPE_MASK = 0x3c, FSC_TRANSLATION = 0x04, FSC_ACCESS = 0x08;
constexpr u64 FSC_PERMISSION = 0x0c;
constexpr u32 EC_IABT_LOW = 0x20;

// VMIDs: the registry's bitmap; VMID 0 is never handed out.
u32 vmid_alloc()
{
	u64 *vmid_bitmap = registry().guest_ids;
	u32 limit = registry().host.arm64_vmid_bits == 16 ? 65536 : 256;
	for (u32 w = 0; w < limit / 64; w++) {
		u64 cur = __atomic_load_n(&vmid_bitmap[w], __ATOMIC_RELAXED);
		const u64 never = w == 0 ? 1 : 0; // VMID 0 stays unused
		while (~(cur | never)) {
			u32 bit = __builtin_ctzll(~(cur | never));
			if (__atomic_compare_exchange_n(&vmid_bitmap[w], &cur, cur | 1ULL << bit,
							false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
				return w * 64 + bit;
		}
	}
	return 0;
}

void vmid_free(u32 vmid)
{
	__atomic_fetch_and(&registry().guest_ids[vmid / 64], ~(1ULL << (vmid % 64)),
			   __ATOMIC_SEQ_CST);
}

void flush_vm_tlb(Vm *vm)
{
	vm->stats.remote_tlb_flush_requests++;
	vm->stats.remote_tlb_flush++;
	arm64_tlb_flush_vmid(vm->arch.vttbr);
}

Result<RunStep> mmio_exit(Vcpu *vcpu, const ExitInfo &exit, u64 ipa)
{
	if (!(exit.esr & ESR_ISV)) {
		// No syndrome to decode the access from (e.g. a load pair): upstream fails
		// KVM_RUN with -ENOSYS unless the VMM asked for KVM_EXIT_ARM_NISV.
		kvmx_host_log_guest(KVMX_LOG_WARN, vcpu->vm->id, static_cast<int>(vcpu->id),
				    "MMIO at %#llx without instruction syndrome (ESR %#llx)\n", ipa,
				    exit.esr);
		return Status::error(-ENOSYS);
	}
	u32 rt = (exit.esr >> ESR_SRT_SHIFT) & 0x1f;
	if (in_aarch32(vcpu->arch.cpu)) {
		// The AArch32 register number names the mode's banked copy; R15 (a load to
		// the PC) cannot be completed as a plain register write.
		int idx = aarch32_reg_index(vcpu->arch.cpu.pstate, rt);
		if (idx < 0) {
			kvmx_host_log_guest(KVMX_LOG_WARN, vcpu->vm->id, static_cast<int>(vcpu->id),
					    "MMIO at %#llx to/from R15: UNDEF injected\n", ipa);
			inject_undef(vcpu);
			return RunStep::resume;
		}
		rt = static_cast<u32>(idx);
	}
	MmioPending &m = vcpu->arch.mmio;
	m.active = true;
	m.is_write = exit.esr & ESR_WNR;
	m.sign_extend = exit.esr & ESR_SSE;
	m.sf = exit.esr & ESR_SF;
	m.rt = static_cast<u8>(rt);
	m.len = static_cast<u8>(1u << ((exit.esr >> ESR_SAS_SHIFT) & 3));

	kvm_run *run = vcpu->run;
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = ipa;
	run->mmio.len = m.len;
	run->mmio.is_write = m.is_write;
	for (u32 i = 0; i < sizeof(run->mmio.data); i++)
		run->mmio.data[i] = 0;
	u64 val = m.is_write && m.rt != 31 ? vcpu->arch.cpu.frame.x[m.rt] : 0;
	// The vGIC's register frames are handled here, before ioeventfds, without an exit.
	if (vgic_kvm_mmio(vcpu, ipa, m.len, m.is_write, &val)) {
		if (!m.is_write)
			for (u32 i = 0; i < m.len; i++)
				run->mmio.data[i] = static_cast<u8>(val >> (8 * i));
		mmio_complete(vcpu); // the read's register write, the instruction skipped
		vcpu->stats.mmio_exit_kernel++;
		return RunStep::resume;
	}
	if (m.is_write) {
		for (u32 i = 0; i < m.len; i++)
			run->mmio.data[i] = static_cast<u8>(val >> (8 * i));
		// A write an ioeventfd or a coalesced zone takes is done: no exit.
		if (ioeventfd_mmio_write(vcpu->vm, ipa, m.len, run->mmio.data) ||
		    coalesced_mmio_write(vcpu->vm, ipa, m.len, run->mmio.data)) {
			m.active = false;
			skip_instruction(vcpu);
			vcpu->stats.mmio_exit_kernel++;
			return RunStep::resume;
		}
	}
	vcpu->stats.mmio_exit_user++;
	return RunStep::exit_user;
}

// Map the page backing @ipa in @slot. resume on success and on a lost race (the guest
// faults again), -EFAULT if userspace has nothing there. A read of a page the VMM already
// has writable is mapped writable at once (as upstream's fast path does), sparing the
// guest a second fault on its first write; not while the slot logs dirty pages, whose
// writes must fault to be seen.
Result<RunStep> map_from_slot(Vcpu *vcpu, const Memslot &slot, u64 seq, u64 ipa, bool write)
{
	Vm *vm = vcpu->vm;
	u64 pa;
	void *page;
	int r = memslot_get_page(slot, ipa >> page_shift, &write, &pa, &page);
	if (r == -EINTR)
		return RunStep::resume; // the run loop returns -EINTR for the signal
	if (r) {
		kvmx_host_log_guest(KVMX_LOG_WARN, vm->id, static_cast<int>(vcpu->id),
				    "no user memory at hva %#llx for ipa %#llx (%d)\n",
				    slot.gfn_to_hva(ipa >> page_shift), ipa, r);
		return Status::error(-EFAULT);
	}
	Status st = vcpu->arch.cache.topup();
	if (st.is_ok()) {
		// Instructions the VMM wrote through its mapping become visible to fetches.
		arm64_sync_icache(kvmx_host_phys_to_virt(pa), page_size);
		SpinGuard mmu(vm->mmu_lock);
		if (!vm->mmu_in_progress && vm->mmu_seq == seq) {
			u32 prot = stage2_read | stage2_exec | (write ? u32(stage2_write) : 0u);
			u64 gpa = ipa & ~(page_size - 1);
			bool upgrade = vm->arch.s2->lookup(gpa) == pa;
			st = vm->arch.s2->map_page(gpa, pa, prot, &vcpu->arch.cache);
			if (st.err() == -EEXIST) {
				// A stale page from before an invalidation we raced with.
				vm->arch.s2->unmap_page(gpa);
				flush_vm_tlb(vm);
				st = vm->arch.s2->map_page(gpa, pa, prot, &vcpu->arch.cache);
			} else if (st.is_ok() && upgrade) {
				// Read-only to writable: no CPU may keep using a read-only entry.
				flush_vm_tlb(vm);
			}
			if (st.is_ok() && write)
				mark_page_dirty(vm, slot, ipa >> page_shift);
		}
	}
	kvmx_host_put_user_page(page, write && st.is_ok());
	if (!st.is_ok())
		return Status::error(st.err());
	return RunStep::resume;
}

} // namespace

Result<RunStep> handle_guest_abort(Vcpu *vcpu, const ExitInfo &exit)
{
	Vm *vm = vcpu->vm;
	bool iabt = ((exit.esr >> 26) & 0x3f) == EC_IABT_LOW;
	u64 fsc_type = exit.esr & ESR_FSC_MASK & FSC_TYPE_MASK;
	// HPFAR_EL2.FIPA [43:4] holds IPA [51:12] of the faulting access.
	u64 ipa = ((exit.hpfar >> 4) & 0xffffffffffULL) << 12 | (exit.far & 0xfff);
	if (fsc_type != FSC_TRANSLATION && fsc_type != FSC_ACCESS && fsc_type != FSC_PERMISSION) {
		kvmx_host_log_guest(
			KVMX_LOG_WARN, vm->id, static_cast<int>(vcpu->id),
			"unexpected stage-2 fault ESR %#llx IPA %#llx: abort injected\n", exit.esr,
			ipa);
		if (iabt)
			inject_pabt(vcpu, exit.far);
		else
			inject_dabt(vcpu, exit.far);
		return RunStep::resume;
	}
	// Beyond the VM's IPA size (but within the host's PARange, or the CPU would have
	// reported something else): an external abort for the guest, as upstream KVM injects
	// (kvm_handle_guest_abort); never an MMIO exit at an address the VM cannot have.
	if (ipa >> vm->arch.ipa_bits) {
		if (iabt)
			inject_pabt(vcpu, exit.far);
		else
			inject_dabt(vcpu, exit.far);
		return RunStep::resume;
	}
	// A stage-1 table walk that takes a permission fault is a write (the hardware
	// updating access/dirty flags), for instruction fetches too; any other S1PTW fault
	// is a read, so that page tables in a read-only memslot keep working.
	bool write =
		(exit.esr & ESR_S1PTW) ? fsc_type == FSC_PERMISSION : !iabt && (exit.esr & ESR_WNR);
	Memslot slot{};
	bool found = false;
	u64 seq;
	{
		SpinGuard mmu(vm->mmu_lock);
		const Memslot *s = vm->memslots->find(ipa >> page_shift);
		if (s) {
			slot = *s;
			found = true;
		}
		seq = vm->mmu_seq;
	}
	if (found && !(write && slot.readonly()))
		return map_from_slot(vcpu, slot, seq, ipa, write);
	if (iabt) {
		inject_pabt(vcpu, exit.far);
		return RunStep::resume;
	}
	if (exit.esr & ESR_S1PTW) {
		// The guest's own page tables point outside its memory.
		inject_dabt(vcpu, exit.far);
		return RunStep::resume;
	}
	return mmio_exit(vcpu, exit, ipa);
}

Status arch_vm_create(Vm *vm)
{
	ArchVm &a = vm->arch;
	a.vmid = vmid_alloc();
	if (!a.vmid)
		return Status::error(-ENOSPC);
	Result<Stage2 *> s2 = Stage2::create(a.ipa_bits);
	if (!s2.is_ok())
		return Status::error(s2.err());
	a.s2 = s2.value();
	a.vttbr = static_cast<u64>(a.vmid) << 48 | a.s2->root_pa();
	u64 vtcr = a.s2->vtcr(registry().host.arm64_id_aa64mmfr0 & 0xf);
	if (registry().host.arm64_vmid_bits == 16)
		vtcr |= 1ULL << 19; // VTCR_EL2.VS: 16-bit VMIDs
	a.vtcr = vtcr;
	a.cntvoff = arm64_counter(); // the guest's virtual counter starts at 0
	firmware_vm_init(vm);
	u32 ncpus = registry().host.nr_cpus;
	a.last_vcpu_ran = static_cast<int *>(kvmx_host_zalloc(sizeof(int) * ncpus));
	a.power_lock = kvmx_host_spinlock_create();
	if (!a.last_vcpu_ran || !a.power_lock)
		return Status::error(-ENOMEM);
	for (u32 i = 0; i < ncpus; i++)
		a.last_vcpu_ran[i] = -1;
	return Status::ok();
}

void arch_vm_destroy(Vm *vm)
{
	ArchVm &a = vm->arch;
	if (a.vmid) {
		// No stale entry of this VMID may survive into the next VM that gets it.
		if (a.s2)
			arm64_tlb_flush_vmid(a.vttbr);
		vmid_free(a.vmid);
	}
	vgic_kvm_vm_destroy(vm);
	smccc_filter_destroy(vm);
	pmu_vm_destroy(vm);
	Stage2::destroy(a.s2);
	kvmx_host_free(a.last_vcpu_ran);
	kvmx_host_spinlock_destroy(a.power_lock);
	a = ArchVm{};
}

void arch_vm_unmap_gfns(Vm *vm, u64 gfn, u64 npages)
{
	if (!vm->arch.s2)
		return;
	if (vm->arch.s2->unmap_range(gfn << page_shift, npages << page_shift))
		flush_vm_tlb(vm);
}

} // namespace kvmx
