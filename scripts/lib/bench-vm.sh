# SPDX-License-Identifier: GPL-2.0
#
# make bench's measurement on the host side, sourced by scripts/bench.sh
# once its options are read: how long a run should take, the two builds
# of portsel.ko and the VM that runs scripts/guest/bench.sh. Sourced, not
# run.

# shellcheck shell=bash
# The driver's settings are read here: parts, runs, long_runs, churn_n,
# sockmany_ops, icount, budget, timeout, work, load_before, target,
# step_width.
# shellcheck disable=SC2154

# Budget in host seconds per part, "TCG ICOUNT": plain TCG as measured on
# an idle 2-core host; instruction counting as measured (boot, P1,
# fullscan, sockmany) or estimated (the rest, ~4x TCG) on a 2-core host
# with another VM and builds running (load 3-4). Boot and warm-up; P1 a
# run; the 4,000-port fills a run; P2c a run; the probe workloads once
# and a run; fullscan a run; the default range a run of the portsel
# policies and one of the kernel's fills; sockmany a run of every policy
# (~30 s each under icount) and, for kernel and sequential-even (every
# connect after the 14,116 even ports scans all of them), a part per
# 1,000 connects above those. A busy host can make TCG three times
# slower; instruction counting only longer.
_bench_tb() { # _bench_tb TCG ICOUNT: the one that applies
	if [ "$icount" -eq 1 ]; then echo "$2"; else echo "$1"; fi
}

# The whole run's budget in host seconds.
bench_budget() {
	local b over

	b=$(_bench_tb 30 60)
	case ",$parts," in *,p1,*)
		b=$((b + $(_bench_tb 30 240) * runs * churn_n / 20000)) ;;
	esac
	case ",$parts," in *,fill4k,*) b=$((b + $(_bench_tb 12 60) * runs)) ;; esac
	case ",$parts," in *,churn,*) b=$((b + $(_bench_tb 20 100) * runs)) ;; esac
	case ",$parts," in *,probe,*)
		b=$((b + $(_bench_tb 20 100) + $(_bench_tb 30 150) * runs)) ;;
	esac
	case ",$parts," in *,fullscan,*) b=$((b + $(_bench_tb 5 10) + $(_bench_tb 5 10) * runs)) ;; esac
	case ",$parts," in *,filldef,*)
		b=$((b + $(_bench_tb 25 125) * runs + $(_bench_tb 330 1650) * long_runs)) ;;
	esac
	case ",$parts," in *,sockmany,*)
		over=$(( sockmany_ops > 14116 ? (sockmany_ops - 14116 + 999) / 1000 : 0 ))
		b=$((b + ($(_bench_tb 180 300) + $(_bench_tb 60 70) * over) * long_runs)) ;;
	esac
	echo "$b"
}

# bench_build NAME [switch]: portsel.ko from a copy of the sources into
# $work/NAME, for the kernel bench_measure chose (T_KDIR, T_CHROOT). With
# "switch", for the probe cost's before/after, built with PORTSEL_BENCH=y
# (Kbuild): a module parameter bench_via_ftrace makes its calls of the
# original enter through the ftrace site, as they did before
# portsel_ftrace_site(), so that both ways alternate within one load of
# one module.
bench_build() {
	local flags=()

	if [ "${2:-}" = switch ]; then
		flags=(PORTSEL_BENCH=y)
	fi
	portsel_target_build "$work/$1" ${flags[@]+"${flags[@]}"}
}

# The module, the VM and the guest's records in $work/result.txt; exits
# when one of them cannot be had. Sets load_after.
bench_measure() {
	local sng vm_ok variant

	"$PORTSEL_ROOT/scripts/deps.sh"
	# --target: that row's kernel, fetched, and portsel built for it;
	# else KDIR's (scripts/kdir.sh), booted by its ABI
	if [ -n "$target" ]; then
		portsel_target_use "$target" ||
			{ portsel_say "cannot get the kernel of target $target"; exit 1; }
	else
		# shellcheck disable=SC2034 # T_CHROOT: read by portsel_target_make
		T_KDIR=${KDIR:-$("$PORTSEL_ROOT/scripts/kdir.sh")} T_CHROOT=
	fi

	# sockmany runs Debian's stress-ng (deps.sh installs it), with its
	# libraries, in the VM.
	case ",$parts," in *,sockmany,*)
		sng=$(command -v stress-ng || true)
		[ -n "$sng" ] || { portsel_say "no stress-ng (scripts/deps.sh)"; exit 1; }
		PORTSEL_VM_BINS="${PORTSEL_VM_BINS:+$PORTSEL_VM_BINS }$sng"
		;;
	esac

	portsel_say "building portsel.ko against $T_KDIR"
	bench_build past || { portsel_say "the module does not build"; exit 1; }
	# shellcheck disable=SC2034 # read by portsel_vm_run
	PORTSEL_MODULE=$work/past/portsel.ko
	variant=()
	case ",$parts," in
	*,probe,*)
		portsel_say "building it again with a switch to enter through the ftrace site"
		if bench_build switch switch; then
			cp "$work/switch/portsel.ko" "$work/portsel-switch.ko"
			variant=(--file "$work/portsel-switch.ko" --arg variant=portsel-switch.ko)
		else
			portsel_say "warning: no switch; the probe cost is measured one way"
		fi
		;;
	esac

	portsel_say "runs=$runs long_runs=$long_runs parts=$parts: about" \
		"$(((budget + 30) / 60)) min on an idle host"
	if awk -v l="$load_before" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
		if [ "$icount" -eq 1 ]; then
			portsel_say "host load average $load_before on $(nproc) cpus:" \
				"the run takes longer (instruction counts do not move with it)"
		else
			portsel_say "warning: host load average $load_before on $(nproc) cpus;" \
				"TCG timings will be noisy"
		fi
	fi
	vm_ok=0
	portsel_vm_run --timeout "$timeout" \
		--arg "runs=$runs" --arg "long_runs=$long_runs" \
		--arg "churn_n=$churn_n" --arg "parts=$parts" \
		--arg "sockmany_ops=$sockmany_ops" --arg "target=$target" \
		--arg "step_width=$step_width" \
		${variant[@]+"${variant[@]}"} \
		--file "$PORTSEL_GUEST/bench-loops.sh" \
		--file "$PORTSEL_GUEST/bench-scans.sh" \
		--file "$PORTSEL_GUEST/bench-fill-stage.sh" \
		"$work" "$PORTSEL_GUEST/bench.sh" || vm_ok=$?
	# shellcheck disable=SC2034 # read by the driver
	load_after=$(cut -d' ' -f1 /proc/loadavg)
	portsel_vm_result "$work" "$work/result.txt"
	if [ "$vm_ok" -ne 0 ] || ! grep -q '^done ' "$work/result.txt"; then
		portsel_say "the VM did not finish the measurement" \
			"(${PORTSEL_VM_END:-no VM}${PORTSEL_VM_EXIT:+ $PORTSEL_VM_EXIT}); console tail:"
		portsel_vm_console_tail "$work" 40 >&2
		# shellcheck disable=SC2034 # read by the driver's EXIT trap
		keep=1
		portsel_say "kept $work"
		exit 1
	fi
}
