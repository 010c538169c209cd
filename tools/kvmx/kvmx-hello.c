// SPDX-License-Identifier: GPL-2.0
/*
 * kvmx-hello: the smallest VMM. One VM, 2 MB of guest RAM, one vCPU; the guest prints a
 * line through an MMIO "UART" at 0x09000000 (one byte per write, each a KVM_EXIT_MMIO
 * that this program turns into a character on stdout) and powers off with PSCI
 * SYSTEM_OFF (KVM_EXIT_SYSTEM_EVENT). `make run` runs it after the capability table.
 * Exit status 0 if the whole line arrived and the guest powered off, else 1.
 */
#include <stdio.h>

#include "../testing/selftests/kvmx/vcpu_lib.h"

#define UART_IPA 0x09000000ULL

asm(".pushsection .text\n"
    ".balign 4\n"
    ".global g_hello_start, g_hello_end\n"
    "g_hello_start:\n"
    "	movz x1, #0x0900, lsl #16\n" /* the UART */
    "	adr x2, 2f\n"
    "1:	ldrb w3, [x2], #1\n"
    "	cbz w3, 3f\n"
    "	strb w3, [x1]\n"
    "	b 1b\n"
    "3:	movz x0, #0x0008\n" /* PSCI SYSTEM_OFF */
    "	movk x0, #0x8400, lsl #16\n"
    "	hvc #0\n"
    "	b .\n"
    "2:	.asciz \"hello from a guest of kvmx: MMIO exits, then PSCI SYSTEM_OFF\\n\"\n"
    "	.balign 4\n"
    "g_hello_end:\n"
    ".popsection\n");

GUEST_PROGRAM(g_hello);

int main(void)
{
	struct vmm m;
	struct vcpu v;
	int exits = 0, chars = 0;

	if (vmm_create(&m) || vcpu_add(&m, &v, 0, 1 << KVM_ARM_VCPU_PSCI_0_2, GUEST_CODE_IPA)) {
		perror("kvmx-hello: setting up the VM");
		return 1;
	}
	load_program(&m, GUEST_CODE_IPA, g_hello_start, g_hello_end);
	printf("guest> ");
	for (;;) {
		if (vcpu_run(&v)) {
			perror("kvmx-hello: KVM_RUN");
			return 1;
		}
		exits++;
		if (v.run->exit_reason == KVM_EXIT_MMIO && v.run->mmio.phys_addr == UART_IPA &&
		    v.run->mmio.is_write && v.run->mmio.len == 1) {
			putchar(v.run->mmio.data[0]);
			chars++;
			continue;
		}
		break;
	}
	if (v.run->exit_reason != KVM_EXIT_SYSTEM_EVENT ||
	    v.run->system_event.type != KVM_SYSTEM_EVENT_SHUTDOWN) {
		printf("\nkvmx-hello: unexpected exit %u after %d exits\n", v.run->exit_reason,
		       exits);
		return 1;
	}
	printf("kvmx-hello: the guest printed %d characters through MMIO exits and powered off "
	       "(PSCI SYSTEM_OFF) after %d KVM_RUN calls\n",
	       chars, exits);
	close(v.fd);
	vmm_destroy(&m);
	return chars > 0 ? 0 : 1;
}
