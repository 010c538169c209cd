// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel GICv3 (KVM_DEV_TYPE_ARM_VGIC_V3) as a VMM sees it: creation, the
 * address, NR_IRQS, CTRL and register-group attributes with upstream's errno, the checks
 * of the first KVM_RUN, KVM_IRQ_LINE with an in-kernel irqchip, vCPUs created after INIT,
 * and a guest reading the distributor's registers without a userspace exit. Every
 * expectation is what the built-in 6.1 KVM answers on a GICv3 host (the same binary runs
 * on both); on a host without a GICv3 the tests SKIP.
 */
#include "kselftest_harness.h"
#include "vcpu_lib.h"

#define DIST_IPA 0x08000000ULL
#define REDIST_IPA 0x080a0000ULL

/* Read GICD_TYPER and report it at MMIO (a userspace exit), then stop. */
asm(".pushsection .text\n"
    ".balign 4\n"
    ".global g_typer_start, g_typer_end\n"
    "g_typer_start:\n"
    "	movz x1, #0x0800, lsl #16\n"
    "	ldr w2, [x1, #4]\n"
    "	movz x3, #0x9000, lsl #16\n"
    "	str w2, [x3]\n"
    "	b .\n"
    "g_typer_end:\n"
    ".popsection\n");

GUEST_PROGRAM(g_typer);

FIXTURE(gic)
{
	struct vmm m;
	struct vcpu v;
	int gic;
};

static int gic_attr(int fd, unsigned long cmd, uint32_t group, uint64_t attr, void *val)
{
	struct kvm_device_attr a = {
		.group = group,
		.attr = attr,
		.addr = (uintptr_t)val,
	};

	return ioctl(fd, cmd, &a);
}

static int gic_set(int fd, uint32_t group, uint64_t attr, void *val)
{
	return gic_attr(fd, KVM_SET_DEVICE_ATTR, group, attr, val);
}

static int gic_get(int fd, uint32_t group, uint64_t attr, void *val)
{
	return gic_attr(fd, KVM_GET_DEVICE_ATTR, group, attr, val);
}

static int create_gic(int vm, uint32_t type, uint32_t flags)
{
	struct kvm_create_device dev = { .type = type, .flags = flags };

	if (ioctl(vm, KVM_CREATE_DEVICE, &dev))
		return -1;
	return flags & KVM_CREATE_DEVICE_TEST ? 0 : (int)dev.fd;
}

/* Both frames placed and CTRL_INIT done, as QEMU configures it. */
static void gic_ready(struct __test_metadata *_metadata, int gic, uint32_t nr_irqs)
{
	uint64_t dist = DIST_IPA, redist = REDIST_IPA;

	ASSERT_EQ(0, gic_set(gic, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs));
	ASSERT_EQ(0, gic_set(gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist));
	ASSERT_EQ(0,
		  gic_set(gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist));
	ASSERT_EQ(0, gic_set(gic, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL));
}

FIXTURE_SETUP(gic)
{
	self->v.fd = -1;
	self->gic = -1;
	ASSERT_EQ(0, vmm_create(&self->m));
	if (ioctl(self->m.vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) <= 0)
		SKIP(return, "no in-kernel GICv3 on this host");
	ASSERT_EQ(0, vcpu_add(&self->m, &self->v, 0, 1 << KVM_ARM_VCPU_PSCI_0_2, GUEST_CODE_IPA));
	self->gic = create_gic(self->m.vm, KVM_DEV_TYPE_ARM_VGIC_V3, 0);
	ASSERT_GE(self->gic, 0);
}

FIXTURE_TEARDOWN(gic)
{
	close(self->gic);
	close(self->v.fd);
	vmm_destroy(&self->m);
}

TEST_F(gic, one_gicv3_per_vm_and_no_other_irqchip_types_here)
{
	EXPECT_EQ(0, create_gic(self->m.vm, KVM_DEV_TYPE_ARM_VGIC_V3, KVM_CREATE_DEVICE_TEST));
	EXPECT_EQ(-1, create_gic(self->m.vm, KVM_DEV_TYPE_ARM_VGIC_V3, 0));
	EXPECT_EQ(EEXIST, errno);
	/* This host's GIC has no GICv2 compatibility ("no GICV resource"). */
	EXPECT_EQ(-1, create_gic(self->m.vm, KVM_DEV_TYPE_ARM_VGIC_V2, 0));
	EXPECT_EQ(ENODEV, errno);
}

TEST_F(gic, addresses_are_checked_and_set_once)
{
	uint64_t addr = DIST_IPA + 0x1000, back = 0;

	EXPECT_EQ(-1,
		  gic_set(self->gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &addr));
	EXPECT_EQ(EINVAL, errno) TH_LOG("not 64 KB aligned");
	addr = 1ULL << 52;
	EXPECT_EQ(-1,
		  gic_set(self->gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &addr));
	EXPECT_EQ(E2BIG, errno) TH_LOG("beyond the IPA space");
	addr = DIST_IPA;
	EXPECT_EQ(0,
		  gic_set(self->gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &addr));
	EXPECT_EQ(-1,
		  gic_set(self->gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &addr));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(0,
		  gic_get(self->gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &back));
	EXPECT_EQ(DIST_IPA, back);
	EXPECT_EQ(-1, gic_set(self->gic, KVM_DEV_ARM_VGIC_GRP_ADDR, 42, &addr));
	EXPECT_EQ(ENXIO, errno) TH_LOG("unknown address type");
}

TEST_F(gic, nr_irqs_is_checked_and_frozen_by_init)
{
	uint32_t n = 63;

	EXPECT_EQ(-1, gic_set(self->gic, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &n));
	EXPECT_EQ(EINVAL, errno);
	n = 1024;
	EXPECT_EQ(-1, gic_set(self->gic, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &n));
	EXPECT_EQ(EINVAL, errno);
	gic_ready(_metadata, self->gic, 128);
	n = 0;
	EXPECT_EQ(0, gic_get(self->gic, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &n));
	EXPECT_EQ(128, n);
	n = 256;
	EXPECT_EQ(-1, gic_set(self->gic, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &n));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(0,
		  gic_set(self->gic, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL))
	TH_LOG("INIT again is harmless");
}

TEST_F(gic, registers_need_init_and_vcpus_cannot_join_after_it)
{
	uint32_t iidr = 0;

	EXPECT_EQ(-1, gic_get(self->gic, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x8, &iidr));
	EXPECT_EQ(EBUSY, errno) TH_LOG("GICD_IIDR before INIT");
	gic_ready(_metadata, self->gic, 64);
	EXPECT_EQ(0, gic_get(self->gic, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x8, &iidr));
	EXPECT_EQ(0x43b, iidr & 0xfff) TH_LOG("implementer Arm: %#x", iidr);
	EXPECT_EQ(-1, ioctl(self->m.vm, KVM_CREATE_VCPU, 1));
	EXPECT_EQ(EBUSY, errno);
}

TEST_F(gic, the_first_run_needs_init)
{
	uint64_t dist = DIST_IPA, redist = REDIST_IPA;

	ASSERT_EQ(0,
		  gic_set(self->gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist));
	ASSERT_EQ(0, gic_set(self->gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST,
			     &redist));
	EXPECT_EQ(-1, vcpu_run(&self->v));
	EXPECT_EQ(EBUSY, errno) TH_LOG("no CTRL_INIT");
}

/* Upstream kills the VM whose vGIC cannot be mapped at the first run. */
TEST_F(gic, a_vm_whose_gic_cannot_map_is_dead)
{
	uint64_t dist = DIST_IPA;

	EXPECT_EQ(-1, vcpu_run(&self->v));
	EXPECT_EQ(ENXIO, errno) TH_LOG("no redistributor frame");
	EXPECT_EQ(-1,
		  gic_set(self->gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(-1, vcpu_run(&self->v));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(-1, ioctl(self->m.vm, KVM_CREATE_VCPU, 1));
	EXPECT_EQ(EIO, errno);
}

TEST_F(gic, irq_line_takes_spis_and_ppis_not_the_cpu_line)
{
	struct kvm_irq_level cpu = { .irq = KVM_ARM_IRQ_TYPE_CPU << KVM_ARM_IRQ_TYPE_SHIFT,
				     .level = 1 };
	struct kvm_irq_level spi = { .irq = KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT | 40,
				     .level = 1 };
	struct kvm_irq_level ppi = { .irq = KVM_ARM_IRQ_TYPE_PPI << KVM_ARM_IRQ_TYPE_SHIFT | 20,
				     .level = 1 };

	EXPECT_EQ(-1, ioctl(self->m.vm, KVM_IRQ_LINE, &cpu));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, ioctl(self->m.vm, KVM_IRQ_LINE, &spi));
	EXPECT_EQ(EBUSY, errno) TH_LOG("before INIT");
	gic_ready(_metadata, self->gic, 64);
	EXPECT_EQ(0, ioctl(self->m.vm, KVM_IRQ_LINE, &spi));
	EXPECT_EQ(0, ioctl(self->m.vm, KVM_IRQ_LINE, &ppi));
	spi.irq = KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT | 96;
	EXPECT_EQ(-1, ioctl(self->m.vm, KVM_IRQ_LINE, &spi));
	EXPECT_EQ(EINVAL, errno) TH_LOG("beyond NR_IRQS");
}

TEST_F(gic, the_guest_reads_the_distributor_in_the_kernel)
{
	uint32_t typer;

	load_program(&self->m, GUEST_CODE_IPA, g_typer_start, g_typer_end);
	gic_ready(_metadata, self->gic, 128);
	ASSERT_EQ(0, vcpu_run(&self->v));
	ASSERT_EQ(KVM_EXIT_MMIO, self->v.run->exit_reason);
	EXPECT_EQ(GUEST_MMIO_IPA, self->v.run->mmio.phys_addr)
	TH_LOG("the GICD_TYPER read exited to userspace");
	memcpy(&typer, self->v.run->mmio.data, sizeof(typer));
	EXPECT_EQ(3, typer & 0x1f) TH_LOG("ITLinesNumber for 128 INTIDs: %#x", typer);
	EXPECT_EQ(9, (typer >> 19) & 0x1f) TH_LOG("IDbits: 10 bits without an ITS");
}

TEST_HARNESS_MAIN
