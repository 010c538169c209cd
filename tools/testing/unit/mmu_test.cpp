// SPDX-License-Identifier: GPL-2.0
// Guest memory on arm64 (arch/arm64/kvm/mmu.cpp, virt/kvmx/core/vm.cpp): stage-2 faults
// mapping memslot pages, MMU-notifier invalidations and memslot changes unmapping them
// with TLB maintenance, aborts outside guest memory, VMIDs.
#include "stage2.hpp"
#include "vcpu_fixture.hpp"

namespace {

using Mmu = Vcpus;
using fake_arch::esr;

class MmuFault : public Vcpus {
protected:
	u64 hva(u64 ipa) const { return fake_host::uptr(ram_) + (ipa - ram_ipa); }
	u64 mapped(u64 ipa) const { return vm_->arch.s2->lookup(ipa & ~0xfffULL); }

	// One vCPU that faults on @ipa (read or write), then the script ends.
	long fault_once(u64 ipa, bool write)
	{
		long fd = ready_vcpu();
		if (fd < 0)
			return fd;
		fake_arch::push(fake_arch::dabt_exit(ipa, write, 3, 1));
		EXPECT_TRUE(run_script(fd));
		return fd;
	}
};

TEST_F(MmuFault, data_abort_in_a_memslot_maps_its_page_and_reenters)
{
	constexpr u64 ipa = ram_ipa + 0x3008;
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_PC, ram_ipa));
	fake_arch::push(fake_arch::dabt_exit(ipa, false, 3, 1));
	ASSERT_TRUE(run_script(fd)) << "no exit to userspace for guest RAM";
	EXPECT_EQ(hva(ipa) & ~0xfffULL, mapped(ipa)) << "stage 2 maps the memslot's page";
	EXPECT_EQ(0u, mapped(ipa + 0x1000));
	EXPECT_EQ(ram_ipa, reg(fd, REG_PC)) << "the access runs again";
	const fake_host::UserPageStats &pages = fake_host::user_pages();
	EXPECT_EQ(1, pages.gets);
	EXPECT_EQ(hva(ipa) & ~0xfffULL, pages.last_hva);
	EXPECT_FALSE(pages.last_write);
	EXPECT_EQ(0, pages.dirty_puts);
	EXPECT_EQ(1, fake_arch::icache_syncs());
	EXPECT_EQ(reinterpret_cast<const void *>(hva(ipa) & ~0xfffULL),
		  fake_arch::last_icache_sync());
	EXPECT_EQ(0, fake_arch::tlb_flushes());
}

TEST_F(MmuFault, write_fault_takes_the_page_for_writing_and_dirties_it)
{
	fault_once(ram_ipa + 0x5000, true);
	EXPECT_EQ(hva(ram_ipa + 0x5000), mapped(ram_ipa + 0x5000));
	EXPECT_TRUE(fake_host::user_pages().last_write);
	EXPECT_EQ(1, fake_host::user_pages().dirty_puts);
}

TEST_F(MmuFault, write_after_read_upgrades_the_mapping_with_a_tlb_flush)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_arch::push(fake_arch::dabt_exit(ram_ipa, false, 3, 1));
	fake_arch::push(fake_arch::dabt_exit(ram_ipa, true, 3, 1));
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(hva(ram_ipa), mapped(ram_ipa));
	EXPECT_EQ(2, fake_host::user_pages().gets);
	EXPECT_EQ(1, fake_host::user_pages().write_gets);
	EXPECT_EQ(1, fake_arch::tlb_flushes());
	EXPECT_EQ(vm_->arch.vttbr, fake_arch::last_flushed_vttbr());
}

TEST_F(MmuFault, read_of_a_page_the_vmm_has_writable_maps_it_writable_at_once)
{
	fake_host::mark_user_page_present(hva(ram_ipa + 0x2000), true);
	fault_once(ram_ipa + 0x2000, false);
	EXPECT_EQ(hva(ram_ipa + 0x2000), mapped(ram_ipa + 0x2000));
	EXPECT_TRUE(vm_->arch.s2->writable(ram_ipa + 0x2000));
	const fake_host::UserPageStats &pages = fake_host::user_pages();
	EXPECT_EQ(1, pages.gets);
	EXPECT_EQ(1, pages.fast_gets);
	EXPECT_EQ(1, pages.dirty_puts) << "the guest may write it without a fault";
}

TEST_F(MmuFault, read_of_a_page_not_yet_writable_in_the_vmm_maps_it_read_only)
{
	fake_host::mark_user_page_present(hva(ram_ipa + 0x2000), false);
	fault_once(ram_ipa + 0x2000, false);
	EXPECT_EQ(hva(ram_ipa + 0x2000), mapped(ram_ipa + 0x2000));
	EXPECT_FALSE(vm_->arch.s2->writable(ram_ipa + 0x2000));
	EXPECT_EQ(0, fake_host::user_pages().fast_gets);
	EXPECT_EQ(0, fake_host::user_pages().dirty_puts);
}

TEST_F(MmuFault, read_in_a_dirty_logged_slot_stays_read_only)
{
	ASSERT_EQ(0,
		  set_region(0, ram_ipa, ram_size, fake_host::uptr(ram_), KVM_MEM_LOG_DIRTY_PAGES));
	fake_host::mark_user_page_present(hva(ram_ipa + 0x2000), true);
	fault_once(ram_ipa + 0x2000, false);
	EXPECT_FALSE(vm_->arch.s2->writable(ram_ipa + 0x2000)) << "its writes must fault";
	EXPECT_EQ(0, fake_host::user_pages().fast_gets);
}

TEST_F(MmuFault, invalidating_the_user_range_unmaps_the_page_and_flushes_the_tlb)
{
	constexpr u64 ipa = ram_ipa + 0x2000;
	fault_once(ipa, false);
	ASSERT_NE(0u, mapped(ipa));
	kvmx_vm_mmu_invalidate_begin(vm_, hva(ipa), hva(ipa) + 0x1000);
	EXPECT_EQ(0u, mapped(ipa));
	EXPECT_EQ(1, fake_arch::tlb_flushes());
	EXPECT_EQ(vm_->arch.vttbr, fake_arch::last_flushed_vttbr());
	kvmx_vm_mmu_invalidate_end(vm_, hva(ipa), hva(ipa) + 0x1000);
}

TEST_F(MmuFault, invalidation_of_unmapped_or_foreign_ranges_flushes_nothing)
{
	constexpr u64 ipa = ram_ipa + 0x2000;
	fault_once(ipa, false);
	// Another page of the slot (not mapped), and memory outside every slot.
	kvmx_vm_mmu_invalidate_begin(vm_, hva(ipa) + 0x1000, hva(ipa) + 0x3000);
	kvmx_vm_mmu_invalidate_end(vm_, hva(ipa) + 0x1000, hva(ipa) + 0x3000);
	kvmx_vm_mmu_invalidate_begin(vm_, 0x10000, 0x20000);
	kvmx_vm_mmu_invalidate_end(vm_, 0x10000, 0x20000);
	EXPECT_EQ(0, fake_arch::tlb_flushes());
	EXPECT_NE(0u, mapped(ipa));
}

TEST_F(MmuFault, invalidation_of_part_of_a_page_unmaps_the_whole_page)
{
	constexpr u64 ipa = ram_ipa + 0x4000;
	fault_once(ipa, false);
	kvmx_vm_mmu_invalidate_begin(vm_, hva(ipa) + 0x800, hva(ipa) + 0x801);
	kvmx_vm_mmu_invalidate_end(vm_, hva(ipa) + 0x800, hva(ipa) + 0x801);
	EXPECT_EQ(0u, mapped(ipa));
}

struct Race {
	kvmx_vm *vm;
	bool end; // also finish the invalidation before the fault takes mmu_lock
};

void invalidate_during_fault(kvmx_uptr hva, void *arg)
{
	auto *race = static_cast<Race *>(arg);
	kvmx_vm_mmu_invalidate_begin(race->vm, hva & ~0xfffUL, (hva & ~0xfffUL) + 0x1000);
	if (race->end)
		kvmx_vm_mmu_invalidate_end(race->vm, hva & ~0xfffUL, (hva & ~0xfffUL) + 0x1000);
}

TEST_F(MmuFault, fault_that_raced_a_finished_invalidation_maps_nothing_and_retries)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	Race race = { vm_, true };
	fake_host::on_get_user_page(invalidate_during_fault, &race);
	fake_arch::push(fake_arch::dabt_exit(ram_ipa, false, 3, 1));
	fake_arch::push([](kvmx::GuestCpu &) { fake_host::on_get_user_page(nullptr, nullptr); },
			fake_arch::dabt_exit(ram_ipa, false, 3, 1));
	fake_arch::push([this](kvmx::GuestCpu &) { EXPECT_EQ(hva(ram_ipa), mapped(ram_ipa)); },
			fake_arch::irq_exit());
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(2, fake_host::user_pages().gets);
	EXPECT_EQ(2, fake_host::user_pages().puts);
	EXPECT_EQ(4, fake_arch::world_switches());
}

TEST_F(MmuFault, fault_during_an_invalidation_in_progress_maps_nothing)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	Race race = { vm_, false };
	fake_host::on_get_user_page(invalidate_during_fault, &race);
	fake_arch::push(fake_arch::dabt_exit(ram_ipa, false, 3, 1));
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0u, mapped(ram_ipa));
	EXPECT_EQ(0, fake_host::user_page_refs());
	kvmx_vm_mmu_invalidate_end(vm_, hva(ram_ipa), hva(ram_ipa) + 0x1000);
}

TEST_F(MmuFault, deleting_the_memslot_unmaps_its_pages_and_flushes_the_tlb)
{
	fault_once(ram_ipa + 0x1000, true);
	ASSERT_NE(0u, mapped(ram_ipa + 0x1000));
	ASSERT_EQ(0, set_region(0, ram_ipa, 0, 0));
	EXPECT_EQ(0u, mapped(ram_ipa + 0x1000));
	EXPECT_EQ(1, fake_arch::tlb_flushes());
}

TEST_F(MmuFault, moving_the_memslot_unmaps_the_old_range)
{
	fault_once(ram_ipa, false);
	ASSERT_EQ(0, set_region(0, 0x80000000, ram_size, fake_host::uptr(ram_)));
	EXPECT_EQ(0u, mapped(ram_ipa));
	EXPECT_EQ(1, fake_arch::tlb_flushes());
}

TEST_F(MmuFault, address_space_teardown_unmaps_everything)
{
	fault_once(ram_ipa + 0xf000, false);
	kvmx_vm_mmu_release(vm_);
	EXPECT_EQ(0u, mapped(ram_ipa + 0xf000));
	EXPECT_EQ(1, fake_arch::tlb_flushes());
}

TEST_F(MmuFault, write_to_a_read_only_memslot_is_an_mmio_exit)
{
	static constexpr u64 rom_ipa = 0x100000;
	ASSERT_EQ(0, set_region(1, rom_ipa, 0x1000, fake_host::uptr(ram_) + ram_size - 0x1000,
				KVM_MEM_READONLY));
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_arch::push(fake_arch::dabt_exit(rom_ipa + 0x10, true, 2, 4));
	ASSERT_EQ(0, run(fd));
	EXPECT_EQ(static_cast<u32>(KVM_EXIT_MMIO), run_page(fd)->exit_reason);
	EXPECT_EQ(rom_ipa + 0x10, run_page(fd)->mmio.phys_addr);
	EXPECT_EQ(0u, vm_->arch.s2->lookup(rom_ipa));
	fake_arch::push(fake_arch::dabt_exit(rom_ipa + 0x10, false, 2, 4));
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(fake_host::uptr(ram_) + ram_size - 0x1000, vm_->arch.s2->lookup(rom_ipa));
	EXPECT_FALSE(fake_host::user_pages().last_write);
}

TEST_F(MmuFault, instruction_fetch_outside_guest_memory_injects_a_prefetch_abort)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_VBAR_EL1, 0x10000));
	ASSERT_EQ(0, set_reg64(fd, REG_PC, mmio_ipa));
	kvmx::ExitInfo e = fake_arch::iabt_exit(mmio_ipa);
	fake_arch::push(e);
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0x10200u, reg(fd, REG_PC));
	EXPECT_EQ(mmio_ipa, reg(fd, REG_ELR_EL1));
	EXPECT_EQ(0x21u, reg(fd, REG_ESR_EL1) >> 26) << "instruction abort, same EL";
	EXPECT_EQ(e.far, reg(fd, REG_FAR_EL1));
}

TEST_F(MmuFault, data_abort_beyond_the_vms_ipa_size_injects_an_abort_not_an_mmio_exit)
{
	// The VM has 40 bits of IPA space (KVM_CREATE_VM type 0); upstream injects an
	// external abort for an IPA past it (kvm_handle_guest_abort) instead of an MMIO exit.
	constexpr u64 ipa = (1ULL << 41) + 0x18;
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_VBAR_EL1, 0x10000));
	ASSERT_EQ(0, set_reg64(fd, REG_PC, ram_ipa));
	kvmx::ExitInfo e = fake_arch::dabt_exit(ipa, true, 3, 1);
	fake_arch::push(e);
	ASSERT_TRUE(run_script(fd)) << "no exit to userspace";
	EXPECT_EQ(0x10200u, reg(fd, REG_PC));
	EXPECT_EQ(ram_ipa, reg(fd, REG_ELR_EL1));
	EXPECT_EQ(0x25u, reg(fd, REG_ESR_EL1) >> 26) << "data abort, same EL";
	EXPECT_EQ(0x10u, reg(fd, REG_ESR_EL1) & 0x3f) << "synchronous external abort";
	EXPECT_EQ(e.far, reg(fd, REG_FAR_EL1));
	EXPECT_EQ(0, fake_host::user_pages().gets);
}

TEST_F(MmuFault, stage1_walk_outside_guest_memory_injects_a_data_abort)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, set_reg64(fd, REG_PSTATE, PSR_MODE_EL0t));
	constexpr u64 S1PTW = 1ULL << 7, FSC_TRANSLATION_L1 = 0x05;
	fake_arch::push(fake_arch::sync_exit(
		esr(fake_arch::EC_DABT_LOW, S1PTW | FSC_TRANSLATION_L1), 0x1234, mmio_ipa));
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0x400u, reg(fd, REG_PC)) << "lower EL vector";
	EXPECT_EQ(0x24u, reg(fd, REG_ESR_EL1) >> 26) << "data abort from a lower EL";
	EXPECT_EQ(0x1234u, reg(fd, REG_FAR_EL1));
}

TEST_F(MmuFault, unexpected_fault_status_injects_an_abort_and_logs)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	constexpr u64 FSC_SYNC_EXTERNAL = 0x10;
	fake_arch::push(fake_arch::sync_exit(esr(fake_arch::EC_DABT_LOW, FSC_SYNC_EXTERNAL), 0x88,
					     ram_ipa));
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0x200u, reg(fd, REG_PC));
	EXPECT_EQ(0x25u, reg(fd, REG_ESR_EL1) >> 26);
	EXPECT_EQ(0u, mapped(ram_ipa));
	EXPECT_EQ(1, fake_host::guest_log_lines());
}

TEST_F(MmuFault, missing_user_memory_fails_kvm_run_with_efault)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_host::fail_next_get_user_page(-EFAULT);
	fake_arch::push(fake_arch::dabt_exit(ram_ipa, false, 3, 1));
	EXPECT_EQ(-EFAULT, run(fd));
	EXPECT_EQ(1, fake_host::guest_log_lines());
	EXPECT_EQ(0u, mapped(ram_ipa));
}

TEST_F(MmuFault, signal_while_faulting_in_retries_the_access)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_host::fail_next_get_user_page(-EINTR);
	fake_arch::push(fake_arch::dabt_exit(ram_ipa, false, 3, 1));
	ASSERT_TRUE(run_script(fd));
	EXPECT_EQ(0u, mapped(ram_ipa));
	EXPECT_EQ(0, fake_host::guest_log_lines());
}

TEST_F(MmuFault, out_of_table_pages_fails_kvm_run_and_drops_the_page)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_arch::push(fake_arch::dabt_exit(ram_ipa, false, 3, 1));
	fake_host::fail_alloc_after(0);
	EXPECT_EQ(-ENOMEM, run(fd));
	fake_host::fail_alloc_after(-1);
	EXPECT_EQ(0, fake_host::user_page_refs());
	EXPECT_EQ(0u, mapped(ram_ipa));
}

TEST_F(Mmu, vms_get_distinct_vmids_and_a_dead_vms_vmid_is_flushed)
{
	long fd2 = kvmx_dev_ioctl(KVM_CREATE_VM, 0);
	ASSERT_GE(fd2, 0);
	kvmx_vm *vm2 = fake_host::vm_of_fd(static_cast<int>(fd2));
	EXPECT_NE(vm_->arch.vmid, vm2->arch.vmid);
	EXPECT_NE(0u, vm2->arch.vmid);
	u64 vttbr2 = vm2->arch.vttbr;
	EXPECT_EQ(static_cast<u64>(vm2->arch.vmid), vttbr2 >> 48);
	EXPECT_EQ(1u << 19, vm2->arch.vtcr & 1u << 19) << "VTCR_EL2.VS: 16-bit VMIDs";
	fake_host::close_fd(static_cast<int>(fd2));
	EXPECT_EQ(1, fake_arch::tlb_flushes());
	EXPECT_EQ(vttbr2, fake_arch::last_flushed_vttbr());
}

TEST_F(Mmu, notifier_is_registered_for_the_vm_and_gone_with_it)
{
	EXPECT_EQ(1, fake_host::live_mmu_notifiers());
	EXPECT_EQ(vm_, fake_host::mmu_notifier_vm());
	EXPECT_EQ(vm_->mmu_notifier != nullptr, true);
}

TEST_F(Mmu, vm_creation_out_of_memory_at_every_step_leaks_nothing)
{
	for (int n = 0;; n++) {
		fake_host::fail_alloc_after(n);
		long fd = kvmx_dev_ioctl(KVM_CREATE_VM, 0);
		fake_host::fail_alloc_after(-1);
		if (fd >= 0) {
			fake_host::close_fd(static_cast<int>(fd));
			break;
		}
		ASSERT_EQ(-ENOMEM, fd) << "allocation " << n;
		ASSERT_LT(n, 100);
	}
	EXPECT_EQ(1, fake_host::live_mmu_notifiers());
}

// An instruction fetch whose stage-1 walk must update a descriptor (hardware access
// flag) in a page stage 2 maps read-only reports a permission fault with S1PTW set: the
// walk writes, so the page must come back writable or the guest faults forever.
TEST_F(Mmu, s1ptw_permission_fault_on_an_instruction_fetch_maps_the_table_writable)
{
	long fd = ready_vcpu();
	ASSERT_GE(fd, 0);
	fake_arch::push(fake_arch::dabt_exit(ram_ipa + 0x6000, false, 3, 1));
	fake_arch::push(fake_arch::iabt_exit(ram_ipa + 0x6000, true));
	ASSERT_TRUE(run_script(fd));
	EXPECT_TRUE(fake_host::user_pages().last_write);
}

} // namespace
