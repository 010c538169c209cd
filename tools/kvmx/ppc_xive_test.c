// SPDX-License-Identifier: GPL-2.0
/*
 * ppc_xive_test: the XIVE (eXternal Interrupt Virtualization Engine) native exploitation
 * device as TAP, through the upstream KVM ABI only: KVM_CAP_PPC_IRQ_XIVE,
 * KVM_CREATE_DEVICE(KVM_DEV_TYPE_XIVE), its attribute groups, mmap of the TIMA and the ESB
 * pages, KVM_ENABLE_CAP(KVM_CAP_PPC_IRQ_XIVE) on the vCPU and ONE_REG KVM_REG_PPC_VP_STATE.
 * The reference is the in-kernel kvm-hv of Linux 6.1 (QEMU powernv9); every errno asserted
 * below is the one that kernel returns, found by reading it and confirmed by running this.
 *
 * Names: ESB, Event State Buffer (per source: a trigger page and a management/EOI page whose
 * loads at special offsets read or set the PQ state bits); EQ, Event Queue (a guest page the
 * controller writes 32-bit entries into: bit 31 the generation, bits 30:0 the EISN); EISN,
 * Effective Interrupt Source Number (what the guest reads for a source); TIMA, Thread
 * Interrupt Management Area (the per-thread presenter registers; the device exposes the
 * OS ring's page); VP, Virtual Processor (a vCPU's presenter state, its "server" number);
 * CPPR, Current Processor Priority Register; IPB, Interrupt Pending Buffer; NSR, Notification
 * Source Register; PIPR, Post-Interrupt Priority Register.
 *
 * The guest is ppc_guest_lib.c's image (vectors at real address 0, each reporting through
 * hcall 0x7000|vector) plus the routines below, copied to XIVE_CODE. Guest physical layout:
 *   0x100000  the EQ page (64 KB: upstream accepts only 64 KB queues, and only where the
 *             host page behind them is at least that big; on a 4 KB-page host, Debian's
 *             6.12, the guest's 2 MB of memory is therefore one hugetlbfs page where the
 *             host has them, see huge_guest_memory)
 *   SMALL_GPA memslot 3 (case attrs): 64 KB of ordinary anonymous memory in host pages
 *   TIMA_GPA  memslot 1: the device's TIMA mapping (4 host pages; only page 2, the OS
 *             ring's, can be touched: pages 0, 1 and 3 fault with SIGBUS)
 *   ESB_GPA   memslot 2: the device's ESB mapping for sources 0..NR_SRC-1, two host pages a
 *             source (trigger page, then management page)
 * Guest-side offsets (Linux's asm/xive-regs.h names): TIMA OS page + 0x11 (TM_QW1_OS +
 * TM_CPPR, store 8 bits), + 0x10 (TM_QW1_OS word 0-1, load 64 bits), + 0x810
 * (TM_SPC_ACK_OS_REG, load 16 bits: NSR << 8 | CPPR); ESB trigger page + 0 (store 64 bits);
 * ESB management page + 0x000 (XIVE_ESB_LOAD_EOI, load 64 bits: the EOI cycle; it returns 1
 * if the source fired again because Q was set, else 0). The VMM also uses + 0x800
 * (XIVE_ESB_GET: PQ) and + 0xc00..0xf00 (XIVE_ESB_SET_PQ_00..11: set PQ, return the old). All
 * big-endian: the little-endian guest uses the byte-reversed loads (lhbrx, lwbrx, ldbrx).
 *
 * Cases (each check's name states the behaviour):
 *   device    the capability on /dev/kvm and the VM, KVM_CREATE_DEVICE_TEST, one device a VM
 *   attrs     KVM_HAS/SET/GET_DEVICE_ATTR answers and errnos: groups, source limits, EQ
 *             config validation and read-back, source config validation, NR_SERVERS, RESET,
 *             EQ_SYNC
 *   connect   KVM_ENABLE_CAP(KVM_CAP_PPC_IRQ_XIVE) on the vCPU: bad fd, non-XIVE fd, another
 *             VM's device, flags, server limit, twice, a server taken, NR_SERVERS afterwards
 *   mmap      TIMA and ESB mappings, their size/offset limits and SIGBUS pages
 *   delivery  triggers from the VMM and from the guest end in the guest's 0x500 with no
 *             KVM_INTERRUPT: TIMA ack, EQ entries (EISN, index, generation), ESB EOI
 *             semantics, coalescing, two sources, an ESB-masked source
 *   servers   routing follows the server number given at connect, not the vCPU id
 *   cede      a vCPU in H_CEDE wakes on a trigger from another thread (escalation)
 *   vp_state  KVM_REG_PPC_VP_STATE: ENXIO unconnected, CPPR/IPB contents, set/get, an
 *             interrupt held by CPPR 0 and released by restoring CPPR 0xff
 *   migration quiesce, EQ_SYNC, save (EQ index/toggle, PQ, VP state, memory, registers),
 *             restore in a second VM: entries continue at the saved index; an EQ restored
 *             at its last entry wraps to generation 0
 *   late      device created after the vCPU ran; closing it disconnects the vCPU; a new
 *             device works; RESET removes queues and masks sources
 * Usage: ppc_xive_test [case...]
 */
#include "ppc_guest_lib.c"
#include <endian.h>
#include <setjmp.h>

/* Guest physical layout (see the header). */
#define XIVE_CODE 0x40000ul
#define EQ_GPA 0x100000ul
#define EQ_SHIFT 16
#define EQ_ENTRIES (1u << (EQ_SHIFT - 2))
#define TIMA_GPA 0x20000000ul
#define ESB_GPA 0x30000000ul
#define SLOT_TIMA 1
#define SLOT_ESB 2
#define SLOT_SMALL 3
#define SMALL_GPA 0x800000ul
#define SMALL_SIZE 0x10000ul
#define HUGE_PAGES 4 /* 2 MB pages: two VMs at a time (connect, migration), and a spare */

/* Sources and routing used by the cases. */
#define NR_SRC 8 /* ESB pages mapped for sources 0..7 */
#define SRC_A 4
#define SRC_B 5
#define SRC_ABSENT 7 /* never created */
#define PRIO 6	     /* what a Linux guest uses; 7 is refused */
#define EISN0 0x1000 /* EISN of source s: EISN0 + s (the guest derives s from it) */

/* Linux 6.1 book3s_xive.h/book3s_xics.h: sources 0 .. 1024 * 1024 - 1 */
#define XIVE_NR_IRQS (1024u * 1024u)

/* asm/xive-regs.h values */
#define TM_QW1_OS 0x10
#define TM_CPPR 0x1
#define TM_NSR_EO 0x80 /* NSR: exception pending on the OS ring */
#define XIVE_ESB_LOAD_EOI 0x000
#define XIVE_ESB_GET 0x800
#define XIVE_ESB_SET_PQ_00 0xc00
#define XIVE_ESB_SET_PQ_01 0xd00
#define PQ_P 2
#define PQ_Q 1

/* Guest parameters in the scratch block (after ppc_guest_lib.c's; keep in sync with the
 * assembly below). */
#define PAR_X_TIMA 0x200   /* guest address of the TIMA OS page */
#define PAR_X_EQ 0x208	   /* EQ address */
#define PAR_X_IDX 0x210	   /* index of the next EQ entry to read */
#define PAR_X_GEN 0x218	   /* generation bit of a new entry at that index */
#define PAR_X_QMASK 0x220  /* EQ entries - 1 */
#define PAR_X_EISN0 0x228  /* EISN of source 0 */
#define PAR_X_ESB 0x230	   /* guest address of source 0's trigger page */
#define PAR_X_STRIDE 0x238 /* ESB bytes per source (two pages) */
#define PAR_X_NEXT 0x240   /* where x_setup and x_ext continue */
#define PAR_X_TRIG 0x248   /* x_self: the trigger page to store to */

/*
 * Guest routines (r13: scratch block; only r20-r31 survive an hcall):
 *   x_setup: park DEC, CPPR = 0xff through the TIMA, report 0x70c0 (r4: QW1 word 0-1
 *            read back, r5: the CPPR byte read back), continue at PAR_X_NEXT.
 *   x_wait:  MSR[EE] = 1 and spin: an external interrupt is the only way out.
 *   x_self:  store to the trigger page PAR_X_TRIG, then x_wait.
 *   x_ext:   where the VMM sends the 0x500 vector's report: acknowledge through the TIMA
 *            (TM_SPC_ACK_OS_REG), then for every EQ entry of the current generation:
 *            advance the index (flip the generation on wrap), EOI the source through its
 *            ESB management page (XIVE_ESB_LOAD_EOI), report 0x70c2 (r4 ack, r5 the entry,
 *            r6 the PQ the EOI returned, r7 the entry's index); when the queue is empty:
 *            CPPR = 0xff again, report 0x70c4 (r4 entries, r5 ack), continue at PAR_X_NEXT.
 */
__asm__(".pushsection .rodata.kvmxxive, \"a\"\n"
	".balign 4096\n"
	"xive_image:\n"
	"x_setup:\n"
	"	lis 0, 0x7fff\n"
	"	ori 0, 0, 0xffff\n"
	"	mtspr 22, 0\n" /* DEC parked */
	"	ld 20, 0x200(13)\n"
	"	li 0, 0xff\n"
	"	stb 0, 0x11(20)\n" /* TM_QW1_OS + TM_CPPR */
	"	sync\n"
	"	addi 21, 20, 0x10\n"
	"	ldbrx 4, 0, 21\n"
	"	lbz 5, 0x11(20)\n"
	"	li 3, 0x70c0\n"
	"	sc 1\n"
	"	ld 0, 0x240(13)\n"
	"	mtctr 0\n"
	"	bctr\n"
	"x_wait:\n"
	"	mfmsr 21\n"
	"	ori 21, 21, 0x8000\n"
	"	mtmsrd 21, 1\n"
	"x_wait_spin:\n"
	"	b x_wait_spin\n"
	"x_self:\n"
	"	ld 21, 0x248(13)\n"
	"	li 0, 0\n"
	"	std 0, 0(21)\n" /* trigger */
	"	sync\n"
	"	b x_wait\n"
	"x_ext:\n"
	"	ld 20, 0x200(13)\n"
	"	addi 21, 20, 0x810\n" /* TM_SPC_ACK_OS_REG */
	"	lhbrx 22, 0, 21\n"
	"	li 29, 0\n"
	"x_ext_next:\n"
	"	ld 23, 0x208(13)\n"
	"	ld 24, 0x210(13)\n"
	"	sldi 25, 24, 2\n"
	"	lwbrx 25, 23, 25\n"
	"	srwi 26, 25, 31\n"
	"	ld 27, 0x218(13)\n"
	"	cmpd 26, 27\n"
	"	bne x_ext_done\n"
	"	mr 28, 24\n"
	"	addi 24, 24, 1\n"
	"	ld 26, 0x220(13)\n"
	"	and. 24, 24, 26\n"
	"	std 24, 0x210(13)\n"
	"	bne 1f\n"
	"	xori 27, 27, 1\n"
	"	std 27, 0x218(13)\n"
	"1:	rlwinm 26, 25, 0, 1, 31\n"
	"	ld 27, 0x228(13)\n"
	"	subf 26, 27, 26\n"
	"	ld 27, 0x238(13)\n"
	"	mulld 26, 26, 27\n"
	"	ld 30, 0x230(13)\n"
	"	add 26, 26, 30\n"
	"	srdi 27, 27, 1\n"
	"	add 26, 26, 27\n"
	"	ldbrx 27, 0, 26\n" /* XIVE_ESB_LOAD_EOI */
	"	addi 29, 29, 1\n"
	"	li 3, 0x70c2\n"
	"	mr 4, 22\n"
	"	mr 5, 25\n"
	"	mr 6, 27\n"
	"	mr 7, 28\n"
	"	sc 1\n"
	"	b x_ext_next\n"
	"x_ext_done:\n"
	"	li 0, 0xff\n"
	"	stb 0, 0x11(20)\n" /* TM_QW1_OS + TM_CPPR */
	"	sync\n"
	"	li 3, 0x70c4\n"
	"	mr 4, 29\n"
	"	mr 5, 22\n"
	"	sc 1\n"
	"	ld 0, 0x240(13)\n"
	"	mtctr 0\n"
	"	bctr\n"
	"xive_image_end:\n"
	".popsection\n");

extern const uint8_t xive_image[], xive_image_end[];
extern const uint8_t x_setup[], x_wait[], x_wait_spin[], x_self[], x_ext[];

/* Guest address of a label of the XIVE routines. */
#define XA(label) (XIVE_CODE + (uint64_t)((label)-xive_image))

static long pg; /* host page size: the device's mmap unit (64 KB on ppc64el) */

/* ---- the device ------------------------------------------------------------------------ */
struct xdev {
	int fd;
	uint8_t *tima, *esb; /* the VMM's mappings (NULL: not mapped) */
	int first_pq;	     /* PQ the unmask load of SRC_A returned */
};

static int create_xive(struct vm *vm, int test)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_XIVE,
					.fd = -1,
					.flags = test ? KVM_CREATE_DEVICE_TEST : 0 };
	if (ioctl(vm->fd, KVM_CREATE_DEVICE, &cd))
		return -errno;
	return test ? 0 : (int)cd.fd;
}

/* 0 or -errno of KVM_SET_DEVICE_ATTR / KVM_GET_DEVICE_ATTR / KVM_HAS_DEVICE_ATTR */
static int attr(int fd, unsigned long req, uint32_t group, uint64_t a, void *val)
{
	struct kvm_device_attr da = { .group = group, .attr = a, .addr = (uintptr_t)val };
	return ioctl(fd, req, &da) ? -errno : 0;
}

static int set_attr(int fd, uint32_t group, uint64_t a, void *val)
{
	return attr(fd, KVM_SET_DEVICE_ATTR, group, a, val);
}

static int ctrl(int fd, uint64_t a)
{
	return set_attr(fd, KVM_DEV_XIVE_GRP_CTRL, a, NULL);
}

static int nr_servers(int fd, uint32_t n)
{
	return set_attr(fd, KVM_DEV_XIVE_GRP_CTRL, KVM_DEV_XIVE_NR_SERVERS, &n);
}

static int source_create(int fd, uint64_t src)
{
	uint64_t state = 0; /* edge, not asserted */
	return set_attr(fd, KVM_DEV_XIVE_GRP_SOURCE, src, &state);
}

static uint64_t source_cfg(uint32_t server, uint32_t prio, uint32_t eisn)
{
	return ((uint64_t)prio << KVM_XIVE_SOURCE_PRIORITY_SHIFT) |
	       ((uint64_t)server << KVM_XIVE_SOURCE_SERVER_SHIFT) |
	       ((uint64_t)eisn << KVM_XIVE_SOURCE_EISN_SHIFT);
}

static int source_route(int fd, uint64_t src, uint32_t server, uint32_t prio, uint32_t eisn)
{
	uint64_t cfg = source_cfg(server, prio, eisn);
	return set_attr(fd, KVM_DEV_XIVE_GRP_SOURCE_CONFIG, src, &cfg);
}

static uint64_t eq_id(uint32_t server, uint32_t prio)
{
	return ((uint64_t)prio << KVM_XIVE_EQ_PRIORITY_SHIFT) |
	       ((uint64_t)server << KVM_XIVE_EQ_SERVER_SHIFT);
}

static int eq_set(int fd, uint32_t server, uint32_t prio, uint32_t flags, uint32_t qshift,
		  uint64_t qaddr, uint32_t qtoggle, uint32_t qindex)
{
	struct kvm_ppc_xive_eq eq = { .flags = flags,
				      .qshift = qshift,
				      .qaddr = qaddr,
				      .qtoggle = qtoggle,
				      .qindex = qindex };
	return set_attr(fd, KVM_DEV_XIVE_GRP_EQ_CONFIG, eq_id(server, prio), &eq);
}

static int eq_get(int fd, uint32_t server, uint32_t prio, struct kvm_ppc_xive_eq *eq)
{
	return attr(fd, KVM_GET_DEVICE_ATTR, KVM_DEV_XIVE_GRP_EQ_CONFIG, eq_id(server, prio), eq);
}

/* KVM_ENABLE_CAP(KVM_CAP_PPC_IRQ_XIVE) on the vCPU: 0 or -errno */
static int xive_connect(struct vcpu *v, int devfd, uint32_t server, uint32_t flags)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_PPC_IRQ_XIVE,
				      .flags = flags,
				      .args = { (uint64_t)(int64_t)devfd, server } };
	return ioctl(v->fd, KVM_ENABLE_CAP, &cap) ? -errno : 0;
}

/*
 * ONE_REG KVM_REG_PPC_VP_STATE: bytes 0-7 are the TIMA's QW1 bytes (NSR, CPPR, IPB, LSMFB,
 * ACK#, INC, AGE, PIPR) in that order; 6.1 leaves bytes 8-15 of a get unwritten (its
 * union kvmppc_one_reg on the stack): nothing is asserted about them.
 */
struct vp_state {
	uint8_t b[16];
};
#define VP_NSR 0
#define VP_CPPR 1
#define VP_IPB 2
#define VP_PIPR 7

static int vp_state(struct vcpu *v, int set, struct vp_state *s)
{
	struct kvm_one_reg r = { .id = KVM_REG_PPC_VP_STATE, .addr = (uintptr_t)s };
	return ioctl(v->fd, set ? KVM_SET_ONE_REG : KVM_GET_ONE_REG, &r) ? -errno : 0;
}

static void print_vp(const char *what, const struct vp_state *s)
{
	printf("# %s: VP state", what);
	for (int i = 0; i < 16; i++)
		printf(i == 8 ? " | %02x" : " %02x", s->b[i]);
	printf("\n");
}

static void *map_dev(int fd, size_t pages, off_t page_off)
{
	void *p = mmap(NULL, pages * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, page_off * pg);
	return p == MAP_FAILED ? NULL : p;
}

static volatile uint64_t *esb_page(struct xdev *x, unsigned src, int mgmt)
{
	return (volatile uint64_t *)(x->esb + (2 * src + mgmt) * pg);
}

/*
 * A load from the source's management page at @off: the PQ bits (low byte, big-endian);
 * -1 when the ESB pages are not mapped (a failed setup: the checks then fail, not crash).
 */
static int esb_load(struct xdev *x, unsigned src, unsigned off)
{
	volatile uint64_t *p;
	if (!x->esb)
		return -1;
	p = (volatile uint64_t *)((uint8_t *)esb_page(x, src, 1) + off);
	return (int)(be64toh(*p) & 0xff);
}

static void esb_trigger(struct xdev *x, unsigned src)
{
	if (!x->esb)
		return;
	*esb_page(x, src, 0) = 0;
	__sync_synchronize();
}

static int set_slot(struct vm *vm, int slot, uint64_t gpa, void *uaddr, size_t len)
{
	struct kvm_userspace_memory_region r = { .slot = slot,
						 .guest_phys_addr = gpa,
						 .memory_size = len,
						 .userspace_addr = (uintptr_t)uaddr };
	return ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) ? sys_fail("memslot") : 0;
}

/* mmap the TIMA (4 pages at page 0) and the ESB pages, and give both to the guest. */
static int xdev_map(struct vm *vm, struct xdev *x)
{
	x->tima = map_dev(x->fd, 4, KVM_XIVE_TIMA_PAGE_OFFSET);
	if (!x->tima)
		return sys_fail("mmap TIMA");
	x->esb = map_dev(x->fd, 2 * NR_SRC, KVM_XIVE_ESB_PAGE_OFFSET);
	if (!x->esb)
		return sys_fail("mmap ESB");
	if (set_slot(vm, SLOT_TIMA, TIMA_GPA, x->tima, 4 * pg) ||
	    set_slot(vm, SLOT_ESB, ESB_GPA, x->esb, 2 * NR_SRC * pg))
		return -1;
	return 0;
}

static void xdev_unmap(struct vm *vm, struct xdev *x)
{
	if (x->tima) {
		set_slot(vm, SLOT_TIMA, TIMA_GPA, NULL, 0);
		munmap(x->tima, 4 * pg);
	}
	if (x->esb) {
		set_slot(vm, SLOT_ESB, ESB_GPA, NULL, 0);
		munmap(x->esb, 2 * NR_SRC * pg);
	}
	x->tima = x->esb = NULL;
}

static void xdev_close(struct vm *vm, struct xdev *x)
{
	xdev_unmap(vm, x);
	if (x->fd > 0)
		close(x->fd);
	x->fd = -1;
}

static int step(int rc, const char *what)
{
	if (rc)
		printf("# %s: %s\n", what, strerror(rc < 0 ? -rc : errno));
	return rc;
}

/* Routing only: sources A and B to (server 0, PRIO) with their EISNs, then unmasked. */
static int route_sources(struct xdev *x)
{
	if (step(source_route(x->fd, SRC_A, 0, PRIO, EISN0 + SRC_A), "route A") ||
	    step(source_route(x->fd, SRC_B, 0, PRIO, EISN0 + SRC_B), "route B"))
		return -1;
	/* A new source is masked (PQ=01) until someone sets PQ=00, as a guest's unmask does. */
	x->first_pq = esb_load(x, SRC_A, XIVE_ESB_SET_PQ_00);
	esb_load(x, SRC_B, XIVE_ESB_SET_PQ_00);
	return 0;
}

/* The guest side's parameters for vCPU @id: a fresh EQ reader (index 0, generation 1). */
static void guest_params(struct vm *vm, int id)
{
	memcpy(vm->mem + XIVE_CODE, xive_image, xive_image_end - xive_image);
	*scratch(vm, id, PAR_X_TIMA) = TIMA_GPA + 2 * pg;
	*scratch(vm, id, PAR_X_EQ) = EQ_GPA;
	*scratch(vm, id, PAR_X_IDX) = 0;
	*scratch(vm, id, PAR_X_GEN) = 1;
	*scratch(vm, id, PAR_X_QMASK) = EQ_ENTRIES - 1;
	*scratch(vm, id, PAR_X_EISN0) = EISN0;
	*scratch(vm, id, PAR_X_ESB) = ESB_GPA;
	*scratch(vm, id, PAR_X_STRIDE) = 2 * pg;
	*scratch(vm, id, PAR_X_NEXT) = XA(x_wait);
	*scratch(vm, id, PAR_X_TRIG) = ESB_GPA + 2 * pg * SRC_A;
}

/*
 * The whole setup on an existing VM, as a VMM does it: the device, vCPU 0 connected as
 * server 0, TIMA and ESB mapped into the guest, the EQ (server 0, PRIO) at EQ_GPA with
 * @qtoggle/@qindex, sources A and B routed there and unmasked; vCPU 0 starts at x_setup.
 */
static int xive_up(struct vm *vm, struct xdev *x, uint32_t qtoggle, uint32_t qindex)
{
	memset(x, 0, sizeof(*x));
	x->fd = create_xive(vm, 0);
	if (x->fd < 0)
		return step(x->fd, "KVM_CREATE_DEVICE");
	if (step(nr_servers(x->fd, 2), "NR_SERVERS") ||
	    step(xive_connect(&vm->v[0], x->fd, 0, 0), "connect") || xdev_map(vm, x) ||
	    step(eq_set(x->fd, 0, PRIO, KVM_XIVE_EQ_ALWAYS_NOTIFY, EQ_SHIFT, EQ_GPA, qtoggle,
			qindex),
		 "EQ config") ||
	    step(source_create(x->fd, SRC_A), "source A") ||
	    step(source_create(x->fd, SRC_B), "source B") || route_sources(x))
		return -1;
	guest_params(vm, 0);
	return vcpu_start(vm, 0, XA(x_setup), 0);
}

/* ---- running the guest ----------------------------------------------------------------- */
struct delivery {
	int ext;       /* 0x500 vectors taken */
	uint64_t srr0; /* of the first */
	int n;	       /* EQ entries the guest read */
	uint64_t ack;  /* TM_SPC_ACK_OS_REG */
	uint64_t word[4], pq[4], idx[4];
	uint64_t drained; /* what 0x70c4 said */
	long last;	  /* last hcall (or -1) */
};

/* KVM_RUN until the guest's interrupt handler finished (0x70c4): 1, else 0 (said why). */
static int run_to_delivery(struct vcpu *v, struct delivery *d, unsigned ms)
{
	memset(d, 0, sizeof(*d));
	for (int i = 0; i < 16; i++) {
		long nr = vcpu_run(v, ms);
		uint64_t *a = v->run->papr_hcall.args;
		d->last = nr;
		if (nr == HC_VEC(0x500)) {
			if (!d->ext++)
				d->srr0 = a[0];
			v->run->papr_hcall.ret = XA(x_ext);
		} else if (nr == 0x70c2) {
			if (d->n < 4) {
				d->ack = a[0];
				d->word[d->n] = a[1];
				d->pq[d->n] = a[2];
				d->idx[d->n] = a[3];
			}
			printf("# entry: ack 0x%llx word 0x%08llx EOI PQ %llu index %llu\n",
			       (unsigned long long)a[0], (unsigned long long)a[1],
			       (unsigned long long)a[2], (unsigned long long)a[3]);
			d->n++;
		} else if (nr == 0x70c4) {
			d->drained = a[0];
			return 1;
		} else {
			struct vec_report r = vec_report(v, nr);
			if (nr >= 0)
				print_vec("unexpected", &r);
			return 0;
		}
	}
	return 0;
}

/* One delivery of one entry of source @src at EQ index @idx, generation @gen. */
static int delivered(const struct delivery *d, int ok, unsigned src, uint64_t idx, int gen)
{
	return ok && d->ext == 1 && d->n == 1 && d->drained == 1 &&
	       d->word[0] == (((uint64_t)gen << 31) | (EISN0 + src)) && d->idx[0] == idx;
}

static int run_setup(struct vcpu *v, uint64_t *qw1, uint64_t *cppr)
{
	long nr = vcpu_run(v, 5000);
	if (nr != 0x70c0) {
		struct vec_report r = vec_report(v, nr);
		if (nr >= 0)
			print_vec("expected 0x70c0", &r);
		return 0;
	}
	if (qw1)
		*qw1 = v->run->papr_hcall.args[0];
	if (cppr)
		*cppr = v->run->papr_hcall.args[1];
	return 1;
}

/* ---- SIGBUS ------------------------------------------------------------------------------ */
static sigjmp_buf bus_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(bus_jmp, 1);
}

/* 1 if a one-byte load at @p raises SIGBUS */
static int load_sigbus(volatile uint8_t *p)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	volatile int faulted = 0;
	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(bus_jmp, 1) == 0)
		(void)*p;
	else
		faulted = 1;
	sigaction(SIGBUS, &old, NULL);
	return faulted;
}

/* ---- cases ------------------------------------------------------------------------------- */
static void case_device(void)
{
	struct vm vm;
	int fd = -1, r;

	case_begin(5);
	if (vm_create(&vm, 1, 1))
		goto out;
	check(ioctl(vm.kvm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_IRQ_XIVE) == 1,
	      "cap_irq_xive_reads_1_on_dev_kvm");
	check(ioctl(vm.fd, KVM_CHECK_EXTENSION, KVM_CAP_PPC_IRQ_XIVE) == 1,
	      "cap_irq_xive_reads_1_on_the_vm");
	/* The test flag must not create: the real create after it succeeds. */
	check(create_xive(&vm, 1) == 0, "create_device_test_flag_succeeds");
	fd = create_xive(&vm, 0);
	check(fd >= 0, "create_device_succeeds_after_the_test_flag_created_nothing");
	r = create_xive(&vm, 0);
	printf("# second KVM_CREATE_DEVICE: %d\n", r);
	check(r == -EEXIST, "second_xive_device_on_a_vm_fails_eexist");
out:
	case_end("device");
	if (fd >= 0)
		close(fd);
	vm_destroy(&vm);
}

static void case_attrs(void)
{
	struct kvm_ppc_xive_eq eq;
	struct vm vm;
	uint64_t v64 = 0;
	void *small = NULL;
	int fd = -1, r;

	case_begin(31);
	if (vm_create(&vm, 2, 1) || (fd = create_xive(&vm, 0)) < 0)
		goto out;
	check(!attr(fd, KVM_HAS_DEVICE_ATTR, KVM_DEV_XIVE_GRP_CTRL, KVM_DEV_XIVE_RESET, NULL) &&
		      !attr(fd, KVM_HAS_DEVICE_ATTR, KVM_DEV_XIVE_GRP_CTRL, KVM_DEV_XIVE_EQ_SYNC,
			    NULL) &&
		      !attr(fd, KVM_HAS_DEVICE_ATTR, KVM_DEV_XIVE_GRP_CTRL, KVM_DEV_XIVE_NR_SERVERS,
			    NULL),
	      "has_attr_ctrl_reset_eq_sync_nr_servers");
	check(!attr(fd, KVM_HAS_DEVICE_ATTR, KVM_DEV_XIVE_GRP_SOURCE, 0, NULL) &&
		      !attr(fd, KVM_HAS_DEVICE_ATTR, KVM_DEV_XIVE_GRP_SOURCE_CONFIG,
			    XIVE_NR_IRQS - 1, NULL) &&
		      !attr(fd, KVM_HAS_DEVICE_ATTR, KVM_DEV_XIVE_GRP_SOURCE_SYNC, 1234, NULL) &&
		      !attr(fd, KVM_HAS_DEVICE_ATTR, KVM_DEV_XIVE_GRP_EQ_CONFIG, eq_id(0, 0), NULL),
	      "has_attr_sources_below_the_limit_and_eq_config");
	check(attr(fd, KVM_HAS_DEVICE_ATTR, KVM_DEV_XIVE_GRP_SOURCE, XIVE_NR_IRQS, NULL) == -ENXIO,
	      "has_attr_source_at_the_limit_enxio");
	check(attr(fd, KVM_HAS_DEVICE_ATTR, 99, 0, NULL) == -ENXIO &&
		      attr(fd, KVM_HAS_DEVICE_ATTR, KVM_DEV_XIVE_GRP_CTRL, 99, NULL) == -ENXIO,
	      "has_attr_unknown_group_or_ctrl_enxio");
	check(set_attr(fd, 99, 0, &v64) == -ENXIO, "set_attr_unknown_group_enxio");
	check(ctrl(fd, 99) == -ENXIO, "set_attr_unknown_ctrl_enxio");
	/* 6.1 has a get path for EQ_CONFIG only: sources and their configs are write-only. */
	check(attr(fd, KVM_GET_DEVICE_ATTR, KVM_DEV_XIVE_GRP_SOURCE, SRC_A, &v64) == -ENXIO &&
		      attr(fd, KVM_GET_DEVICE_ATTR, KVM_DEV_XIVE_GRP_SOURCE_CONFIG, SRC_A, &v64) ==
			      -ENXIO &&
		      attr(fd, KVM_GET_DEVICE_ATTR, 99, 0, &v64) == -ENXIO,
	      "get_attr_other_than_eq_config_enxio");
	check(source_create(fd, XIVE_NR_IRQS) == -E2BIG, "source_beyond_the_limit_e2big");
	check(source_route(fd, SRC_A, 0, PRIO, 1) == -ENOENT,
	      "source_config_without_its_source_block_enoent");
	check(attr(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_XIVE_GRP_SOURCE_SYNC, SRC_A, NULL) == -ENOENT,
	      "source_sync_without_its_source_block_enoent");
	check(source_create(fd, SRC_A) == 0, "source_create_succeeds");
	/* SRC_ABSENT shares SRC_A's block of 1024 sources but was never created */
	check(source_route(fd, SRC_ABSENT, 0, PRIO, 1) == -EINVAL &&
		      attr(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_XIVE_GRP_SOURCE_SYNC, SRC_ABSENT,
			   NULL) == -EINVAL,
	      "source_config_and_sync_of_an_uncreated_source_einval");
	check(source_route(fd, SRC_A, 0, PRIO, 1) == -EINVAL,
	      "source_config_to_an_unconnected_server_einval");
	check(nr_servers(fd, 0) == -EINVAL && nr_servers(fd, 0xffffffffu) == -EINVAL,
	      "nr_servers_zero_or_too_large_einval");
	check(nr_servers(fd, 2) == 0, "nr_servers_2_accepted");
	check(ctrl(fd, KVM_DEV_XIVE_RESET) == 0 && ctrl(fd, KVM_DEV_XIVE_EQ_SYNC) == 0,
	      "ctrl_reset_and_eq_sync_succeed");
	check(eq_set(fd, 0, PRIO, KVM_XIVE_EQ_ALWAYS_NOTIFY, EQ_SHIFT, EQ_GPA, 1, 0) == -ENOENT,
	      "eq_config_of_an_unconnected_server_enoent");
	r = xive_connect(&vm.v[0], fd, 0, 0);
	if (r)
		printf("# connect: %s\n", strerror(-r));
	check(r == 0, "connect_vcpu_0_as_server_0");
	check(eq_set(fd, 0, 7, KVM_XIVE_EQ_ALWAYS_NOTIFY, EQ_SHIFT, EQ_GPA, 1, 0) == -EINVAL,
	      "eq_config_priority_7_einval");
	check(eq_set(fd, 0, PRIO, 0, EQ_SHIFT, EQ_GPA, 1, 0) == -EINVAL,
	      "eq_config_without_always_notify_einval");
	check(eq_set(fd, 0, PRIO, KVM_XIVE_EQ_ALWAYS_NOTIFY, 12, EQ_GPA, 1, 0) == -EINVAL &&
		      eq_set(fd, 0, PRIO, KVM_XIVE_EQ_ALWAYS_NOTIFY, 21, EQ_GPA, 1, 0) == -EINVAL,
	      "eq_config_queue_size_other_than_64k_einval");
	check(eq_set(fd, 0, PRIO, KVM_XIVE_EQ_ALWAYS_NOTIFY, EQ_SHIFT, EQ_GPA + 0x1000, 1, 0) ==
		      -EINVAL,
	      "eq_config_unaligned_queue_einval");
	check(eq_set(fd, 0, PRIO, KVM_XIVE_EQ_ALWAYS_NOTIFY, EQ_SHIFT, 0x40000000ul, 1, 0) ==
		      -EINVAL,
	      "eq_config_queue_outside_every_memslot_einval");
	/*
	 * The queue must fit in the host page behind it (upstream's kvm_host_page_size test):
	 * in ordinary memory a 64 KB-page host takes it, a 4 KB-page host refuses it.
	 */
	small = mmap(NULL, SMALL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (small == MAP_FAILED) {
		small = NULL;
		sys_fail("mmap SMALL");
	}
	r = small && !set_slot(&vm, SLOT_SMALL, SMALL_GPA, small, SMALL_SIZE)
		    ? eq_set(fd, 0, PRIO, KVM_XIVE_EQ_ALWAYS_NOTIFY, EQ_SHIFT, SMALL_GPA, 1, 0)
		    : -EFAULT;
	printf("# 64 KB queue in %ld-byte host pages: %s\n", pg, strerror(-r));
	if (pg >= 1l << EQ_SHIFT)
		check(r == 0 && eq_set(fd, 0, PRIO, 0, 0, 0, 0, 0) == 0,
		      "eq_config_64k_queue_in_64k_host_pages_accepted");
	else
		check(r == -EINVAL, "eq_config_64k_queue_in_4k_host_pages_einval");
	check(eq_set(fd, 0, PRIO, KVM_XIVE_EQ_ALWAYS_NOTIFY, EQ_SHIFT, EQ_GPA, 1, 0) == 0,
	      "eq_config_64k_queue_accepted");
	memset(&eq, 0xaa, sizeof(eq));
	r = eq_get(fd, 0, PRIO, &eq);
	printf("# EQ: %d flags 0x%x qshift %u qaddr 0x%llx qtoggle %u qindex %u\n", r, eq.flags,
	       eq.qshift, (unsigned long long)eq.qaddr, eq.qtoggle, eq.qindex);
	check(r == 0 && eq.flags == KVM_XIVE_EQ_ALWAYS_NOTIFY && eq.qshift == EQ_SHIFT &&
		      eq.qaddr == EQ_GPA && eq.qtoggle == 1 && eq.qindex == 0,
	      "eq_config_reads_back_shift_addr_flags_toggle_1_index_0");
	/*
	 * 6.1 quirk: a queue never configured reads as success without writing the buffer
	 * (kvmppc_xive_native_get_queue_config returns 0 before its copy_to_user).
	 */
	memset(&eq, 0xaa, sizeof(eq));
	r = eq_get(fd, 0, 3, &eq);
	check(r == 0 && eq.qshift == 0xaaaaaaaau && eq.qaddr == 0xaaaaaaaaaaaaaaaaull,
	      "eq_config_get_of_an_unconfigured_queue_succeeds_untouched");
	check(eq_get(fd, 1, PRIO, &eq) == -ENOENT, "eq_config_get_unconnected_server_enoent");
	check(source_route(fd, SRC_A, 0, 7, 1) == -EINVAL, "source_config_priority_7_einval");
	check(source_route(fd, SRC_A, 0, PRIO, EISN0 + SRC_A) == 0 &&
		      attr(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_XIVE_GRP_SOURCE_SYNC, SRC_A, NULL) == 0,
	      "source_config_and_sync_accepted");
	/* the EQ reset: qshift 0 */
	check(eq_set(fd, 0, PRIO, 0, 0, 0, 0, 0) == 0 && eq_get(fd, 0, PRIO, &eq) == 0,
	      "eq_config_qshift_0_resets_the_queue");
out:
	case_end("attrs");
	if (fd >= 0)
		close(fd);
	vm_destroy(&vm);
	if (small)
		munmap(small, SMALL_SIZE);
}

static void case_connect(void)
{
	struct vm vm, other;
	int fd = -1, ofd = -1, r, r2;

	memset(&other, 0, sizeof(other));
	case_begin(12);
	if (vm_create(&vm, 2, 1) || vm_create(&other, 1, 1) || (ofd = create_xive(&other, 0)) < 0)
		goto out;
	{
		struct kvm_enable_cap cap = { .cap = KVM_CAP_PPC_IRQ_XIVE,
					      .args = { (uint64_t)ofd, 0 } };
		check(ioctl(other.fd, KVM_ENABLE_CAP, &cap) == -1 && errno == EINVAL,
		      "enable_cap_irq_xive_on_the_vm_fd_einval");
	}
	/* without KVM_DEV_XIVE_NR_SERVERS the limit is KVM_MAX_VCPUS */
	r = xive_connect(&other.v[0], ofd, 0, 0);
	if (r)
		printf("# connect without NR_SERVERS: %s\n", strerror(-r));
	check(r == 0, "connect_without_nr_servers_succeeds");
	close(ofd);
	ofd = create_xive(&other, 0);
	if ((fd = create_xive(&vm, 0)) < 0 || ofd < 0 || nr_servers(fd, 2))
		goto out;
	/*
	 * The only EINVALs of the vCPU connect in 6.1 are non-zero flags and a server beyond
	 * NR_SERVERS; KVM_ENABLE_CAP(KVM_CAP_PPC_IRQ_XIVE) on the VM fd (not the vCPU's) is
	 * EINVAL too (no such VM capability): checked above.
	 */
	check(xive_connect(&vm.v[0], -1, 0, 0) == -EBADF, "connect_bad_fd_ebadf");
	check(xive_connect(&vm.v[0], vm.fd, 0, 0) == -EPERM, "connect_non_device_fd_eperm");
	check(xive_connect(&vm.v[0], ofd, 0, 0) == -EPERM, "connect_device_of_another_vm_eperm");
	check(xive_connect(&vm.v[0], fd, 0, 1) == -EINVAL, "connect_with_flags_einval");
	check(xive_connect(&vm.v[0], fd, 2, 0) == -EINVAL,
	      "connect_server_beyond_nr_servers_einval");
	r = xive_connect(&vm.v[0], fd, 0, 0);
	if (r)
		printf("# connect: %s\n", strerror(-r));
	check(r == 0, "connect_vcpu_0_server_0_succeeds");
	check(xive_connect(&vm.v[0], fd, 1, 0) == -EBUSY, "connect_twice_ebusy");
	check(xive_connect(&vm.v[1], fd, 0, 0) == -EEXIST,
	      "connect_second_vcpu_same_server_eexist");
	/*
	 * NR_SERVERS once a vCPU is connected (the VP block is allocated): EBUSY, and the
	 * limit stays 2 (server 1 still connects).
	 */
	r = nr_servers(fd, 1);
	r2 = xive_connect(&vm.v[1], fd, 1, 0);
	check(r == -EBUSY && r2 == 0, "nr_servers_after_a_connect_ebusy_limit_unchanged");
	{
		struct vp_state s;
		check(vp_state(&vm.v[1], 0, &s) == 0, "vp_state_readable_once_connected");
	}
out:
	case_end("connect");
	if (fd >= 0)
		close(fd);
	if (ofd >= 0)
		close(ofd);
	vm_destroy(&other);
	vm_destroy(&vm);
}

static void case_mmap(void)
{
	struct vm vm;
	struct xdev x = { .fd = -1 };
	void *p;
	int pq = -1;

	case_begin(9);
	if (vm_create(&vm, 1, 1) || (x.fd = create_xive(&vm, 0)) < 0 || source_create(x.fd, SRC_A))
		goto out;
	x.tima = map_dev(x.fd, 4, KVM_XIVE_TIMA_PAGE_OFFSET);
	check(x.tima != NULL, "mmap_tima_4_pages_at_offset_0");
	check(x.tima && !load_sigbus(x.tima + 2 * pg + TM_QW1_OS),
	      "tima_os_page_loads_without_fault");
	check(x.tima && load_sigbus(x.tima) && load_sigbus(x.tima + pg) &&
		      load_sigbus(x.tima + 3 * pg),
	      "tima_hw_hv_and_user_pages_sigbus");
	p = map_dev(x.fd, 5, KVM_XIVE_TIMA_PAGE_OFFSET);
	check(!p && errno == EINVAL, "mmap_tima_5_pages_einval");
	if (p)
		munmap(p, 5 * pg);
	p = map_dev(x.fd, 1, 1);
	check(!p && errno == EINVAL, "mmap_at_another_offset_einval");
	if (p)
		munmap(p, pg);
	x.esb = map_dev(x.fd, 2 * NR_SRC, KVM_XIVE_ESB_PAGE_OFFSET);
	check(x.esb != NULL, "mmap_esb_pages_at_offset_4");
	p = map_dev(x.fd, 2 * XIVE_NR_IRQS + 1, KVM_XIVE_ESB_PAGE_OFFSET);
	check(!p && errno == EINVAL, "mmap_esb_beyond_the_source_limit_einval");
	if (p)
		munmap(p, (2 * XIVE_NR_IRQS + 1) * pg);
	if (x.esb)
		pq = esb_load(&x, SRC_A, XIVE_ESB_GET);
	printf("# new source PQ: %d\n", pq);
	check(pq == PQ_Q, "esb_get_of_a_new_source_reads_pq_01_masked");
	check(x.esb && load_sigbus((volatile uint8_t *)esb_page(&x, SRC_ABSENT, 0)) &&
		      load_sigbus((volatile uint8_t *)esb_page(&x, SRC_ABSENT, 1)),
	      "esb_pages_of_an_absent_source_sigbus");
out:
	case_end("mmap");
	/* no memslots here: unmap only */
	if (x.tima)
		munmap(x.tima, 4 * pg);
	if (x.esb)
		munmap(x.esb, 2 * NR_SRC * pg);
	if (x.fd >= 0)
		close(x.fd);
	vm_destroy(&vm);
}

static void case_delivery(void)
{
	struct delivery d;
	struct vm vm;
	struct xdev x = { .fd = -1 };
	struct vcpu *v;
	uint64_t qw1 = 0, cppr = 0;
	int ok;

	case_begin(14);
	if (vm_create(&vm, 1, 1) || xive_up(&vm, &x, 1, 0))
		goto out;
	v = &vm.v[0];
	check(x.first_pq == PQ_Q, "source_starts_masked_pq_01");
	ok = run_setup(v, &qw1, &cppr);
	printf("# guest TIMA QW1 after CPPR=0xff: 0x%016llx, CPPR byte 0x%llx\n",
	       (unsigned long long)qw1, (unsigned long long)cppr);
	check(ok && cppr == 0xff && ((qw1 >> 48) & 0xff) == 0xff,
	      "guest_sets_and_reads_back_cppr_0xff_through_the_tima");

	/* the VMM triggers A while the vCPU is out of KVM_RUN: PQ 10 (P: sent, not EOIed) */
	esb_trigger(&x, SRC_A);
	check(esb_load(&x, SRC_A, XIVE_ESB_GET) == PQ_P, "trigger_sets_pq_10");
	ok = run_to_delivery(v, &d, 5000);
	check(ok && d.ext == 1 && d.srr0 >= XA(x_wait) && d.srr0 <= XA(x_wait_spin),
	      "vmm_trigger_raises_0x500_in_the_guest_without_kvm_interrupt");
	check(ok && d.n >= 1 && d.ack == ((TM_NSR_EO << 8) | PRIO),
	      "ack_os_reg_returns_nsr_eo_and_the_priority");
	check(delivered(&d, ok, SRC_A, 0, 1), "eq_entry_0_has_generation_1_and_the_eisn");
	/*
	 * XIVE_ESB_LOAD_EOI is the EOI cycle, not a PQ read: PQ 10 -> 00 and it returns 0;
	 * PQ 11 (triggered again before the EOI) -> 10, the source fires again and it returns 1
	 * (QEMU's xive_esb_eoi; Linux's MSI EOI uses XIVE_ESB_SET_PQ_00 instead, which returns
	 * the old PQ, and re-triggers by itself).
	 */
	check(ok && d.n == 1 && d.pq[0] == 0 && esb_load(&x, SRC_A, XIVE_ESB_GET) == 0,
	      "load_eoi_returns_0_and_leaves_pq_00");

	/* the guest triggers A itself */
	*scratch(&vm, 0, PAR_X_NEXT) = XA(x_self);
	ok = run_to_delivery(v, &d, 5000);
	*scratch(&vm, 0, PAR_X_NEXT) = XA(x_wait);
	check(delivered(&d, ok, SRC_A, 1, 1) && d.srr0 >= XA(x_wait) && d.srr0 < XA(x_ext),
	      "guest_esb_store_delivers_entry_1");

	/* two triggers of one source before its EOI coalesce into PQ 11: one entry; the EOI
	 * returns 1 and the source fires again (a second entry, read in the same handler) */
	esb_trigger(&x, SRC_A);
	esb_trigger(&x, SRC_A);
	check(esb_load(&x, SRC_A, XIVE_ESB_GET) == (PQ_P | PQ_Q),
	      "second_trigger_before_the_eoi_sets_pq_11");
	ok = run_to_delivery(v, &d, 5000);
	check(ok && d.ext == 1 && d.n == 2 && d.idx[0] == 2 && d.pq[0] == 1,
	      "coalesced_triggers_make_one_entry_its_load_eoi_returns_1");
	check(ok && d.n == 2 && d.idx[1] == 3 && d.word[1] == (0x80000000u | (EISN0 + SRC_A)) &&
		      d.pq[1] == 0,
	      "load_eoi_of_pq_11_fires_the_source_again");

	/* two sources: one interrupt, two entries in trigger order */
	esb_trigger(&x, SRC_A);
	esb_trigger(&x, SRC_B);
	ok = run_to_delivery(v, &d, 5000);
	check(ok && d.ext == 1 && d.n == 2 && d.drained == 2,
	      "two_sources_one_interrupt_two_entries");
	check(ok && d.n == 2 && d.word[0] == (0x80000000u | (EISN0 + SRC_A)) &&
		      d.word[1] == (0x80000000u | (EISN0 + SRC_B)) && d.idx[0] == 4 &&
		      d.idx[1] == 5,
	      "entries_4_and_5_in_trigger_order");
	/* masked through the ESB (PQ=01): a trigger is not delivered */
	esb_load(&x, SRC_A, XIVE_ESB_SET_PQ_01);
	esb_trigger(&x, SRC_A);
	{
		long nr = vcpu_run(v, 300);
		check(nr == -1 && v->timed_out && esb_load(&x, SRC_A, XIVE_ESB_GET) == PQ_Q,
		      "esb_masked_source_does_not_interrupt");
	}
out:
	case_end("delivery");
	xdev_close(&vm, &x);
	vm_destroy(&vm);
}

/*
 * Routing follows the server number, not the vCPU id: vCPU 0 connected as server 1 with its
 * EQ at EQ_GPA, vCPU 1 as server 0 with its EQ 64 KB higher; A routed to server 1, B to 0.
 */
static void case_servers(void)
{
	const uint64_t eq1 = EQ_GPA + 0x10000;
	struct delivery d;
	struct vm vm;
	struct xdev x = { .fd = -1 };
	int ok;

	case_begin(4);
	if (vm_create(&vm, 2, 1) || (x.fd = create_xive(&vm, 0)) < 0)
		goto out;
	ok = !step(nr_servers(x.fd, 2), "NR_SERVERS") &&
	     !step(xive_connect(&vm.v[0], x.fd, 1, 0), "connect vCPU 0 as server 1") &&
	     !step(xive_connect(&vm.v[1], x.fd, 0, 0), "connect vCPU 1 as server 0") &&
	     !xdev_map(&vm, &x) &&
	     !step(eq_set(x.fd, 1, PRIO, KVM_XIVE_EQ_ALWAYS_NOTIFY, EQ_SHIFT, EQ_GPA, 1, 0),
		   "EQ server 1") &&
	     !step(eq_set(x.fd, 0, PRIO, KVM_XIVE_EQ_ALWAYS_NOTIFY, EQ_SHIFT, eq1, 1, 0),
		   "EQ server 0") &&
	     !source_create(x.fd, SRC_A) && !source_create(x.fd, SRC_B) &&
	     !step(source_route(x.fd, SRC_A, 1, PRIO, EISN0 + SRC_A), "route A") &&
	     !step(source_route(x.fd, SRC_B, 0, PRIO, EISN0 + SRC_B), "route B");
	check(ok, "vcpus_connected_as_swapped_servers_with_their_queues");
	if (!ok)
		goto out;
	esb_load(&x, SRC_A, XIVE_ESB_SET_PQ_00);
	esb_load(&x, SRC_B, XIVE_ESB_SET_PQ_00);
	guest_params(&vm, 0);
	guest_params(&vm, 1);
	*scratch(&vm, 1, PAR_X_EQ) = eq1;
	if (vcpu_start(&vm, 0, XA(x_setup), 0) || vcpu_start(&vm, 1, XA(x_setup), 0) ||
	    !run_setup(&vm.v[0], NULL, NULL) || !run_setup(&vm.v[1], NULL, NULL))
		goto out;
	esb_trigger(&x, SRC_B);
	ok = run_to_delivery(&vm.v[1], &d, 5000);
	check(delivered(&d, ok, SRC_B, 0, 1), "source_routed_to_server_0_reaches_vcpu_1");
	{
		long nr = vcpu_run(&vm.v[0], 200);
		check(nr == -1 && vm.v[0].timed_out, "vcpu_0_as_server_1_gets_nothing_of_server_0");
	}
	esb_trigger(&x, SRC_A);
	ok = run_to_delivery(&vm.v[0], &d, 5000);
	check(delivered(&d, ok, SRC_A, 0, 1), "source_routed_to_server_1_reaches_vcpu_0");
out:
	case_end("servers");
	xdev_close(&vm, &x);
	vm_destroy(&vm);
}

struct delayed_trigger {
	struct xdev *x;
	unsigned delay_ms;
	uint64_t at_ns;
};

static void *delayed_trigger_thread(void *arg)
{
	struct delayed_trigger *t = arg;
	usleep(t->delay_ms * 1000);
	t->at_ns = now_ns();
	esb_trigger(t->x, SRC_A);
	return NULL;
}

static void case_cede(void)
{
	struct delayed_trigger t = { .delay_ms = 100 };
	struct delivery d;
	struct vm vm;
	struct xdev x = { .fd = -1 };
	pthread_t th;
	uint64_t exit_ns;
	int ok;

	case_begin(4);
	if (vm_create(&vm, 1, 1) || xive_up(&vm, &x, 1, 0))
		goto out;
	*scratch(&vm, 0, PAR_X_NEXT) = GA(g_cede);
	*scratch(&vm, 0, PAR_DEC) = 0;	      /* DEC parked: only the interrupt can wake it */
	if (!run_setup(&vm.v[0], NULL, NULL)) /* x_setup continues at g_cede */
		goto out;
	t.x = &x;
	pthread_create(&th, NULL, delayed_trigger_thread, &t);
	ok = run_to_delivery(&vm.v[0], &d, 5000);
	exit_ns = now_ns();
	pthread_join(th, NULL);
	printf("# woken %lld us after the trigger\n", (long long)(exit_ns - t.at_ns) / 1000);
	check(ok && d.ext == 1 && d.srr0 == GA(g_cede_ret),
	      "ceded_vcpu_takes_0x500_right_after_h_cede");
	check(ok && exit_ns >= t.at_ns, "ceded_vcpu_stays_idle_until_the_trigger");
	check(ok && exit_ns - t.at_ns < 1000000000ull, "ceded_vcpu_wakes_within_1s");
	check(delivered(&d, ok, SRC_A, 0, 1), "ceded_vcpu_reads_entry_0");
out:
	case_end("cede");
	xdev_close(&vm, &x);
	vm_destroy(&vm);
}

static void case_vp_state(void)
{
	struct vp_state s, s2;
	struct delivery d;
	struct vm vm;
	struct xdev x = { .fd = -1 };
	struct vcpu *v;
	int ok, r;

	case_begin(8);
	if (vm_create(&vm, 2, 1))
		goto out;
	v = &vm.v[0];
	check(vp_state(v, 0, &s) == -ENXIO, "vp_state_before_connect_enxio");
	if (xive_up(&vm, &x, 1, 0))
		goto out;
	check(vp_state(&vm.v[1], 0, &s) == -ENXIO, "vp_state_of_an_unconnected_vcpu_enxio");
	r = vp_state(v, 0, &s);
	print_vp("after connect", &s);
	check(r == 0 && s.b[VP_CPPR] == 0 && s.b[VP_IPB] == 0,
	      "vp_state_after_connect_cppr_0_nothing_pending");
	if (!run_setup(v, NULL, NULL))
		goto out;
	r = vp_state(v, 0, &s);
	print_vp("after the guest set CPPR", &s);
	check(r == 0 && s.b[VP_CPPR] == 0xff, "vp_state_holds_the_cppr_the_guest_set");
	/* CPPR 0 through VP_STATE: nothing can be presented */
	s2 = s;
	s2.b[VP_CPPR] = 0;
	r = vp_state(v, 1, &s2);
	memset(&s2, 0x55, sizeof(s2));
	check(r == 0 && vp_state(v, 0, &s2) == 0 && s2.b[VP_CPPR] == 0 &&
		      !memcmp(s2.b, s.b, VP_CPPR) && !memcmp(s2.b + 2, s.b + 2, 6),
	      "vp_state_set_then_get_round_trips");
	esb_trigger(&x, SRC_A);
	{
		long nr = vcpu_run(v, 300);
		check(nr == -1 && v->timed_out, "cppr_0_from_vp_state_holds_the_interrupt");
	}
	r = vp_state(v, 0, &s2);
	print_vp("with the interrupt held", &s2);
	check(r == 0 && (s2.b[VP_IPB] & (0x80 >> PRIO)), "vp_state_ipb_shows_it_pending");
	s2.b[VP_CPPR] = 0xff;
	vp_state(v, 1, &s2);
	ok = run_to_delivery(v, &d, 5000);
	check(delivered(&d, ok, SRC_A, 0, 1), "vp_state_cppr_0xff_delivers_the_held_interrupt");
out:
	case_end("vp_state");
	xdev_close(&vm, &x);
	vm_destroy(&vm);
}

/*
 * Migration as a VMM does it: the source VM quiesced (its vCPU out of KVM_RUN), sources
 * masked through the ESB (the load returns their PQ), EQ_SYNC, the EQ config read back
 * (index, toggle), VP_STATE; the destination gets the guest memory, registers, the same
 * sources and routing (6.1 cannot read source configs back: the VMM keeps them), the EQ
 * with the saved index and toggle, the PQ bits and VP_STATE.
 */
static void case_migration(void)
{
	struct kvm_ppc_xive_eq eq;
	struct vp_state vps;
	struct kvm_regs regs;
	struct delivery d;
	struct vm a, b;
	struct xdev xa = { .fd = -1 }, xb = { .fd = -1 };
	int ok, pq_a, pq_b, r;

	memset(&b, 0, sizeof(b));
	case_begin(8);
	if (vm_create(&a, 1, 1) || xive_up(&a, &xa, 1, 0) || !run_setup(&a.v[0], NULL, NULL))
		goto out;
	for (int i = 0; i < 3; i++) {
		esb_trigger(&xa, SRC_A + (i & 1));
		if (!run_to_delivery(&a.v[0], &d, 5000))
			goto out;
	}
	/* quiesce: the vCPU stopped at x_ext's 0x70c4 report */
	pq_a = esb_load(&xa, SRC_A, XIVE_ESB_SET_PQ_01);
	pq_b = esb_load(&xa, SRC_B, XIVE_ESB_SET_PQ_01);
	check(ctrl(xa.fd, KVM_DEV_XIVE_EQ_SYNC) == 0, "migration_eq_sync_succeeds");
	r = eq_get(xa.fd, 0, PRIO, &eq);
	printf("# saved EQ: flags 0x%x qshift %u qaddr 0x%llx qtoggle %u qindex %u, PQ %d %d\n",
	       eq.flags, eq.qshift, (unsigned long long)eq.qaddr, eq.qtoggle, eq.qindex, pq_a,
	       pq_b);
	check(r == 0 && eq.qindex == 3 && eq.qtoggle == 1 &&
		      eq.qindex == *scratch(&a, 0, PAR_X_IDX),
	      "migration_eq_index_is_the_entries_written_toggle_1");
	check(pq_a == 0 && pq_b == 0, "migration_sources_read_pq_00_after_their_eoi");
	r = vp_state(&a.v[0], 0, &vps);
	print_vp("saved", &vps);
	check(r == 0 && vps.b[VP_CPPR] == 0xff, "migration_vp_state_saved_cppr_0xff");
	if (ioctl(a.v[0].fd, KVM_GET_REGS, &regs))
		goto out;

	/* the destination */
	if (vm_create(&b, 1, 1))
		goto out;
	memcpy(b.mem, a.mem, MEM_SIZE);
	memset(&xb, 0, sizeof(xb));
	xb.fd = create_xive(&b, 0);
	ok = xb.fd >= 0 && !nr_servers(xb.fd, 2) && !xive_connect(&b.v[0], xb.fd, 0, 0) &&
	     !xdev_map(&b, &xb) && !source_create(xb.fd, SRC_A) && !source_create(xb.fd, SRC_B) &&
	     !eq_set(xb.fd, 0, PRIO, eq.flags, eq.qshift, eq.qaddr, eq.qtoggle, eq.qindex) &&
	     !source_route(xb.fd, SRC_A, 0, PRIO, EISN0 + SRC_A) &&
	     !source_route(xb.fd, SRC_B, 0, PRIO, EISN0 + SRC_B);
	if (ok) {
		/* back to the saved PQ: 0xc00 + 0x100 * PQ sets it */
		esb_load(&xb, SRC_A, XIVE_ESB_SET_PQ_00 + 0x100 * pq_a);
		esb_load(&xb, SRC_B, XIVE_ESB_SET_PQ_00 + 0x100 * pq_b);
		ok = !vp_state(&b.v[0], 1, &vps) && !ioctl(b.v[0].fd, KVM_SET_REGS, &regs);
	}
	check(ok, "migration_restore_succeeds");
	memset(&eq, 0, sizeof(eq));
	check(ok && !eq_get(xb.fd, 0, PRIO, &eq) && eq.qindex == 3 && eq.qtoggle == 1,
	      "migration_restored_eq_reads_back_index_3_toggle_1");
	esb_trigger(&xb, SRC_B);
	ok = ok && run_to_delivery(&b.v[0], &d, 5000);
	check(delivered(&d, ok, SRC_B, 3, 1), "migration_destination_continues_at_entry_3");

	/* the generation: restore the EQ at its last entry; the next two wrap to 0, gen 0 */
	*scratch(&b, 0, PAR_X_IDX) = EQ_ENTRIES - 1;
	ok = ok && !eq_set(xb.fd, 0, PRIO, KVM_XIVE_EQ_ALWAYS_NOTIFY, EQ_SHIFT, EQ_GPA, 1,
			   EQ_ENTRIES - 1);
	esb_trigger(&xb, SRC_A);
	esb_trigger(&xb, SRC_B);
	ok = ok && run_to_delivery(&b.v[0], &d, 5000);
	check(ok && d.n == 2 && d.idx[0] == EQ_ENTRIES - 1 &&
		      d.word[0] == (0x80000000u | (EISN0 + SRC_A)) && d.idx[1] == 0 &&
		      d.word[1] == EISN0 + SRC_B && *scratch(&b, 0, PAR_X_GEN) == 0,
	      "eq_restored_at_its_last_entry_wraps_to_generation_0");
out:
	case_end("migration");
	xdev_close(&a, &xa);
	xdev_close(&b, &xb);
	vm_destroy(&b);
	vm_destroy(&a);
}

/* A vCPU runs first; then the device is created and connected; then the device goes away
 * (its fd closed: 6.1's release disconnects the vCPUs) and a new one works. */
static void case_late_and_destroy(void)
{
	struct vp_state s;
	struct delivery d;
	struct vm vm;
	struct xdev x = { .fd = -1 };
	struct vcpu *v;
	int hc = 0, ok, up = 0;

	case_begin(6);
	if (vm_create(&vm, 1, 1) || vcpu_start(&vm, 0, GA(g_hcall), 0))
		goto out;
	v = &vm.v[0];
	for (int i = 0; i < 4; i++) {
		long nr = vcpu_run(v, 5000);
		hc += nr == 0x7010 || nr == 0x7011;
	}
	check(hc == 4, "late_vcpu_runs_before_the_device_exists");
	ok = !xive_up(&vm, &x, 1, 0) && run_setup(v, NULL, NULL);
	if (ok) /* an uncreated source's ESB page is SIGBUS */
		esb_trigger(&x, SRC_A);
	ok = ok && run_to_delivery(v, &d, 5000);
	check(delivered(&d, ok, SRC_A, 0, 1), "late_device_delivers_to_a_vcpu_that_already_ran");

	xdev_close(&vm, &x);
	check(vp_state(v, 0, &s) == -ENXIO, "closing_the_device_disconnects_the_vcpu");
	up = !xive_up(&vm, &x, 1, 0);
	check(up, "device_created_and_connected_again_after_close");
	ok = up && run_setup(v, NULL, NULL);
	if (ok)
		esb_trigger(&x, SRC_B);
	ok = ok && run_to_delivery(v, &d, 5000);
	check(delivered(&d, ok, SRC_B, 0, 1), "new_device_delivers_from_entry_0");
	/*
	 * KVM_DEV_XIVE_RESET: queues gone (an EQ get then succeeds without writing, the 6.1
	 * quirk of case attrs), routed sources masked again (PQ=01). (Routing a source now
	 * would hit 6.1's WARN_ON(!q->qpage) in xive_try_pick_queue: not done.)
	 */
	{
		struct kvm_ppc_xive_eq eq;
		memset(&eq, 0xaa, sizeof(eq));
		check(up && ctrl(x.fd, KVM_DEV_XIVE_RESET) == 0 &&
			      eq_get(x.fd, 0, PRIO, &eq) == 0 && eq.qshift == 0xaaaaaaaau &&
			      esb_load(&x, SRC_A, XIVE_ESB_GET) == PQ_Q,
		      "reset_removes_the_queues_and_masks_the_sources");
	}
out:
	case_end("late");
	xdev_close(&vm, &x);
	vm_destroy(&vm);
}

static const struct {
	const char *name;
	void (*fn)(void);
	int checks;
} cases[] = {
	{ "device", case_device, 5 },	    { "attrs", case_attrs, 31 },
	{ "connect", case_connect, 12 },    { "mmap", case_mmap, 9 },
	{ "delivery", case_delivery, 14 },  { "servers", case_servers, 4 },
	{ "cede", case_cede, 4 },	    { "vp_state", case_vp_state, 8 },
	{ "migration", case_migration, 8 }, { "late", case_late_and_destroy, 6 },
};

/*
 * On a host whose pages are smaller than a queue, guest memory is one 2 MB hugetlbfs page
 * a VM, as a VMM there must give it for upstream to take a queue: reserve HUGE_PAGES of
 * them. A host without hugetlbfs (QEMU's powernv9 device tree lists no radix page size
 * above 64 KB, so a 4 KB-page kernel has no 2 MB pages) has no page a queue fits in:
 * guest memory stays in base pages and every queue is refused, as upstream refuses it;
 * the cases that need one fail there.
 */
static void huge_guest_memory(void)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "r+");
	long n = -1;

	if (f && fscanf(f, "%ld", &n) == 1 && n < HUGE_PAGES) {
		fseek(f, 0, SEEK_SET);
		fprintf(f, "%d\n", HUGE_PAGES);
		fflush(f);
		fseek(f, 0, SEEK_SET);
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
	}
	if (f)
		fclose(f);
	if (n >= HUGE_PAGES) {
		guest_mem_flags = MAP_HUGETLB;
		printf("# %ld-byte host pages: guest memory in 2 MB hugetlbfs pages\n", pg);
		return;
	}
	printf("# %ld-byte host pages and %ld 2 MB hugetlbfs pages: no page a 64 KB queue fits "
	       "in, guest memory in base pages\n",
	       pg, n);
	if (system("grep -h -e '^MMU' /proc/cpuinfo | sed 's/^/# /'"))
		printf("# (no MMU line)\n");
}

int main(int argc, char **argv)
{
	int total = 0, n = sizeof(cases) / sizeof(cases[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	pg = sysconf(_SC_PAGESIZE);
	if (pg < 1l << EQ_SHIFT)
		huge_guest_memory();
	for (int pass = 0; pass < 2; pass++) {
		if (pass)
			printf("1..%d\n", total);
		for (int i = 0; i < n; i++) {
			int want = argc < 2;
			for (int j = 1; j < argc; j++)
				want |= !strcmp(argv[j], cases[i].name);
			if (!want)
				continue;
			if (!pass) {
				total += cases[i].checks;
				continue;
			}
			printf("# case %s\n", cases[i].name);
			cases[i].fn();
		}
	}
	return tap_failed ? 1 : 0;
}
