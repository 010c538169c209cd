// SPDX-License-Identifier: GPL-2.0
/*
 * ppc_wake_lat: guest-measured wake-up latency of an idle vCPU on a POWER9 (powernv) host,
 * the measurement of the 2020 stop0lite review (issue 7 item 4, issue 9 item 4). All
 * times are the guest's timebase (mftb, 512 MHz on POWER9), converted to ns.
 *   cede-timer  the guest programs DEC for a deadline (g_cede: 500 us ahead) and calls
 *               H_CEDE; latency = timebase at its 0x900 vector - the deadline.
 *   stop-timer  the same with `stop` (stop0lite, MSR[EE]=1) instead of H_CEDE; needs
 *               KVMX_CAP_PPC_STOP0LITE, which it enables.
 *   cede-ipi    vCPU 1 cedes (DEC parked); vCPU 0 waits for vCPU 1's "idle" flag, 2 ms
 *               more, reads the timebase and msgsndp's thread 1 (KVM_CAP_PPC_SMT 2);
 *               latency = timebase at vCPU 1's 0xa00 vector - vCPU 0's timebase before
 *               the msgsndp.
 *   stop-ipi    the same with vCPU 1 in stop0lite.
 * Each mode takes 4 warm-up samples, then N (default 64, at least 60). Output: TAP (one
 * check per mode: N samples taken and none before its deadline/send), a table as TAP
 * comments and one JSON line per mode ("# JSON {...}").
 * Usage: ppc_wake_lat [-n N] [mode...]   (default: all four; a stop mode is skipped when
 *        the capability reads 0)
 */
#include "ppc_guest_lib.c"
#include <math.h>

#define WARMUP 4
#define MAX_SAMPLES 1000
#define TIMER_AHEAD US_TICKS(500)
#define IPI_DELAY MS_TICKS(2)

static int nr_samples = 64;

struct stats {
	int n;
	double min, max, median, avg, stddev;
};

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

static struct stats stats_of(long long *ns, int n)
{
	struct stats s = { .n = n };
	double sum = 0, sq = 0;
	if (!n)
		return s;
	qsort(ns, n, sizeof(*ns), cmp_ll);
	s.min = ns[0];
	s.max = ns[n - 1];
	s.median = n % 2 ? ns[n / 2] : (ns[n / 2 - 1] + ns[n / 2]) / 2.0;
	for (int i = 0; i < n; i++)
		sum += ns[i];
	s.avg = sum / n;
	for (int i = 0; i < n; i++)
		sq += (ns[i] - s.avg) * (ns[i] - s.avg);
	s.stddev = sqrt(sq / n);
	return s;
}

static int enable_stop0lite(struct vm *vm)
{
	struct kvm_enable_cap cap = { .cap = KVMX_CAP_PPC_STOP0LITE };
	uint64_t zero = 0;
	if (ioctl(vm->fd, KVM_ENABLE_CAP, &cap))
		return sys_fail("KVM_ENABLE_CAP(KVMX_CAP_PPC_STOP0LITE)");
	for (int i = 0; i < vm->nr_vcpus; i++)
		if (one_reg(&vm->v[i], 1, KVM_REG_PPC_PSSCR, &zero))
			return sys_fail("KVM_SET_ONE_REG(PSSCR)");
	return 0;
}

static void idle_params(struct vm *vm, int id, uint64_t dec)
{
	*scratch(vm, id, PAR_DEC) = dec;
	*scratch(vm, id, PAR_PSSCR) = 0;
	*scratch(vm, id, PAR_EE) = 1;
}

/* Timer modes: returns the number of samples stored in @ns, < 0 on error. */
static int measure_timer(int stop, long long *ns, int *early)
{
	struct vm vm;
	struct vcpu *v;
	int n = 0;

	*early = 0;
	if (vm_create(&vm, 1, 1) || (stop && enable_stop0lite(&vm)) ||
	    vcpu_start(&vm, 0, stop ? GA(g_stop) : GA(g_cede), 0)) {
		vm_destroy(&vm);
		return -1;
	}
	v = &vm.v[0];
	idle_params(&vm, 0, TIMER_AHEAD);
	for (int i = 0, missed = 0; i < WARMUP + nr_samples; i++) {
		long nr = vcpu_run(v, 5000);
		struct vec_report r = vec_report(v, nr);
		long long lat;
		if (nr != HC_VEC(0x900)) {
			printf("# sample %d: hcall %s, expected the decrementer\n", i, hc_name(nr));
			break;
		}
		/*
		 * The decrementer may fire before the guest reaches the idle instruction (an exit
		 * to the host in between took longer than TIMER_AHEAD; after the first round
		 * MSR[EE] is on, as H_CEDE left it): that is no wake-up. Start the round over;
		 * returning to the idle would idle with the decrementer parked.
		 */
		if (r.srr0 != (stop ? GA(g_stop_after) : GA(g_cede_ret))) {
			if (++missed > 50) {
				printf("# sample %d: the decrementer fired before the idle %d times\n",
				       i, missed);
				break;
			}
			v->run->papr_hcall.ret = stop ? GA(g_stop) : GA(g_cede);
			i--;
			continue;
		}
		lat = (long long)(r.tb - (r.r20 + TIMER_AHEAD));
		if (i >= WARMUP) {
			*early += lat < 0;
			ns[n++] = lat < 0 ? -(long long)ticks_to_ns(-lat)
					  : (long long)ticks_to_ns(lat);
		}
		/* rfid to after the idle; then the guest reports and starts over */
		do {
			nr = vcpu_run(v, 5000);
		} while (nr == 0x7080);
		if (nr != (stop ? 0x7081 : 0x7060)) {
			struct vec_report again = vec_report(v, nr);
			printf("# sample %d: hcall %s after the wake\n", i, hc_name(nr));
			print_vec("first report", &r);
			print_vec("then", &again);
			break;
		}
	}
	vm_destroy(&vm);
	return n;
}

static int measure_ipi(int stop, long long *ns, int *early)
{
	struct vm vm;
	int n = 0;

	*early = 0;
	if (vm_create(&vm, 2, 2) || (stop && enable_stop0lite(&vm)) ||
	    vcpu_start(&vm, 0, GA(g_send), 0) ||
	    vcpu_start(&vm, 1, stop ? GA(g_stop) : GA(g_cede), 0)) {
		vm_destroy(&vm);
		return -1;
	}
	idle_params(&vm, 1, 0);
	for (int i = 0; i < WARMUP + nr_samples; i++) {
		struct target_log t = {
			.vm = &vm, .id = 1, .stop_after = stop ? 3 : 2, .timeout_ms = 5000
		};
		uint64_t send_tb = 0;
		pthread_t th;
		long long lat;
		int sent;

		*(volatile uint32_t *)(vm.mem + FLAG_ADDR) = 0;
		__sync_synchronize();
		pthread_create(&th, NULL, target_thread, &t);
		sent = send_doorbell(&vm, FLAG_ADDR, IPI_DELAY, &send_tb);
		pthread_join(th, NULL);
		if (!sent || t.n < 1 || t.nr[0] != HC_VEC(0xa00) ||
		    t.nr[t.n - 1] != (stop ? 0x7081 : 0x7060)) {
			printf("# sample %d: sent %d, vcpu 1: %d exits\n", i, sent, t.n);
			for (int k = 0; k < t.n; k++)
				print_vec("vcpu 1", &t.r[k]);
			break;
		}
		lat = (long long)(t.r[0].tb - send_tb);
		if (i >= WARMUP) {
			*early += lat < 0;
			ns[n++] = lat < 0 ? -(long long)ticks_to_ns(-lat)
					  : (long long)ticks_to_ns(lat);
		}
	}
	vm_destroy(&vm);
	return n;
}

static const char *const modes[] = { "cede-timer", "cede-ipi", "stop-timer", "stop-ipi" };

int main(int argc, char **argv)
{
	static long long ns[MAX_SAMPLES];
	int want[4] = { 0 }, any = 0, nmodes = 0, cap = 0;
	char kernel[128] = "?";
	FILE *f;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			nr_samples = atoi(argv[++i]);
			continue;
		}
		for (int m = 0; m < 4; m++)
			if (!strcmp(argv[i], modes[m]))
				want[m] = any = 1;
	}
	if (nr_samples < 60 || nr_samples > MAX_SAMPLES) {
		fprintf(stderr, "ppc_wake_lat: -n must be 60..%d\n", MAX_SAMPLES);
		return 2;
	}
	for (int m = 0; m < 4; m++) {
		want[m] |= !any;
		nmodes += want[m];
	}
	f = fopen("/proc/sys/kernel/osrelease", "r");
	if (f) {
		if (fgets(kernel, sizeof(kernel), f))
			kernel[strcspn(kernel, "\n")] = 0;
		fclose(f);
	}
	{
		int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		cap = kvm >= 0 ? ioctl(kvm, KVM_CHECK_EXTENSION, KVMX_CAP_PPC_STOP0LITE) : 0;
		if (kvm >= 0)
			close(kvm);
	}
	printf("1..%d\n", nmodes);
	printf("# wake-up latency, guest timebase (%llu Hz), ns; kernel %s, stop0lite cap %d\n",
	       (unsigned long long)TB_HZ, kernel, cap);
	printf("# %-11s %8s %9s %9s %9s %9s %9s\n", "mode", "samples", "min", "max", "median",
	       "avg", "stddev");
	for (int m = 0; m < 4; m++) {
		int stop = m >= 2, ipi = m % 2, early = 0, n;
		char name[64];
		struct stats s;
		if (!want[m])
			continue;
		snprintf(name, sizeof(name), "%s_%d_samples", modes[m], nr_samples);
		for (char *p = name; *p; p++)
			*p = *p == '-' ? '_' : *p;
		if (stop && cap != 1) {
			skip(name, "KVMX_CAP_PPC_STOP0LITE reads 0");
			continue;
		}
		n = ipi ? measure_ipi(stop, ns, &early) : measure_timer(stop, ns, &early);
		s = stats_of(ns, n > 0 ? n : 0);
		printf("# %-11s %8d %9.0f %9.0f %9.0f %9.1f %9.1f\n", modes[m], s.n, s.min, s.max,
		       s.median, s.avg, s.stddev);
		printf("# JSON {\"mode\":\"%s\",\"kernel\":\"%s\",\"samples\":%d,\"min_ns\":%.0f,"
		       "\"max_ns\":%.0f,\"median_ns\":%.0f,\"avg_ns\":%.1f,\"stddev_ns\":%.1f,"
		       "\"early\":%d}\n",
		       modes[m], kernel, s.n, s.min, s.max, s.median, s.avg, s.stddev, early);
		check(n == nr_samples && early == 0, name);
	}
	return tap_failed ? 1 : 0;
}
