#!/usr/bin/env bash
# Builds the dopamine firmware for the Cortex-M4F and runs every case under
# QEMU (machine mps2-an386): XOR, the Mackey-Glass RNN, the online
# (Dopamine-3) Mackey-Glass RNN, and all three again with NaN losses injected. Prints the section sizes and a summary table; exits
# non-zero if any case fails to learn (or times out), 2 if a tool is missing.
#
# Installs nothing. Needs: cargo, the thumbv7em-none-eabihf target
# (rustup target add thumbv7em-none-eabihf), qemu-system-arm with the
# mps2-an386 machine (Debian bookworm's QEMU 7.2 has it), a size
# tool (arm-none-eabi-size from binutils-arm-none-eabi, or llvm-size from
# rustup's llvm-tools component) and coreutils' timeout.
#
# Environment: EMBEDDED_TIMEOUT, seconds per QEMU run (default 300; a run
# takes a few seconds on a 2-core machine).
set -euo pipefail
cd "$(dirname "$0")"

TARGET=thumbv7em-none-eabihf
TIMEOUT="${EMBEDDED_TIMEOUT:-300}"
# The same command as the runner in .cargo/config.toml.
QEMU=(qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic -monitor none
  -serial none -semihosting-config enable=on,target=native -icount shift=0)
OUT=target/embedded-run

# ---------------------------------------------------------------- tools
missing=()
if ! command -v cargo >/dev/null 2>&1; then
  missing+=("cargo (a Rust toolchain: https://rustup.rs)")
elif ! libdir="$(rustc --print target-libdir --target "$TARGET" 2>/dev/null)" \
  || ! ls "$libdir"/libcore-*.rlib >/dev/null 2>&1; then
  missing+=("the Rust target $TARGET: rustup target add $TARGET")
fi
if ! command -v qemu-system-arm >/dev/null 2>&1; then
  missing+=("qemu-system-arm: apt-get install qemu-system-arm (Debian/Ubuntu)")
elif ! qemu-system-arm -machine help | grep -q '^mps2-an386 '; then
  missing+=("a qemu-system-arm whose -machine help lists mps2-an386 (Debian bookworm's QEMU 7.2 does); found: $(qemu-system-arm --version | head -n 1)")
fi
SIZE=""
if command -v arm-none-eabi-size >/dev/null 2>&1; then
  SIZE=arm-none-eabi-size
elif command -v cargo >/dev/null 2>&1 \
  && llvm_size="$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin/llvm-size" \
  && [ -x "$llvm_size" ]; then
  SIZE="$llvm_size"
elif command -v llvm-size >/dev/null 2>&1; then
  SIZE=llvm-size
else
  missing+=("a size tool: apt-get install binutils-arm-none-eabi, or rustup component add llvm-tools")
fi
if ! command -v timeout >/dev/null 2>&1; then
  missing+=("timeout (GNU coreutils)")
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "run.sh: cannot build and run the firmware; missing:" >&2
  for m in "${missing[@]}"; do echo "  - $m" >&2; done
  exit 2
fi
echo "qemu: $(qemu-system-arm --version | head -n 1)"
echo "size: $SIZE"

# ---------------------------------------------------------------- build
mkdir -p "$OUT"
build() { # build FEATURES SUFFIX
  local features="$1" suffix="$2"
  echo "--- cargo build --release --bins ${features:+--features $features}"
  cargo build --release --bins ${features:+--features "$features"}
  for bin in xor rnn online; do
    cp "target/$TARGET/release/$bin" "$OUT/$bin$suffix.elf"
  done
}
build "" ""
build inject-nan -nan

# ---------------------------------------------------------------- sizes
section() { # section ELF NAME -> bytes (0 when absent)
  "$SIZE" -A "$1" | awk -v s="$2" '$1 == s { print $2; found = 1 } END { if (!found) print 0 }'
}
echo
echo "--- section sizes ($SIZE -A), bytes"
printf '%-12s %8s %8s %8s %8s %8s %10s %10s\n' firmware .vector .text .rodata .data .bss "flash(1)" "static RAM(2)"
declare -A FLASH RAM
for elf in xor rnn online xor-nan rnn-nan online-nan; do
  f="$OUT/$elf.elf"
  vt=$(section "$f" .vector_table) tx=$(section "$f" .text) ro=$(section "$f" .rodata)
  da=$(section "$f" .data) bs=$(section "$f" .bss) un=$(section "$f" .uninit)
  FLASH[$elf]=$((vt + tx + ro + da))
  RAM[$elf]=$((da + bs + un))
  printf '%-12s %8d %8d %8d %8d %8d %10d %10d\n' "$elf" "$vt" "$tx" "$ro" "$da" "$bs" "${FLASH[$elf]}" "${RAM[$elf]}"
done
echo "(1) .vector_table + .text + .rodata + .data (initial values); (2) .data + .bss + .uninit, before the stack"

# ---------------------------------------------------------------- run
declare -A RC LOG
failed=0
for elf in xor rnn online xor-nan rnn-nan online-nan; do
  LOG[$elf]="$OUT/$elf.log"
  echo
  echo "--- $elf: ${QEMU[*]} -kernel $OUT/$elf.elf (timeout ${TIMEOUT}s)"
  set +e
  timeout "$TIMEOUT" "${QEMU[@]}" -kernel "$OUT/$elf.elf" 2>&1 | tee "${LOG[$elf]}"
  rc=${PIPESTATUS[0]}
  set -e
  RC[$elf]=$rc
  if [ "$rc" -eq 124 ]; then
    echo "$elf: TIMED OUT after ${TIMEOUT}s"
  fi
  if [ "$rc" -ne 0 ]; then failed=1; fi
done

# ---------------------------------------------------------------- summary
field() { # field LOG REGEX -> first capture group of the first match, or '-'
  local v
  v=$(sed -n -E "s/.*$2.*/\\1/p" "$1" | head -n 1)
  echo "${v:--}"
}
echo
echo "--- summary (QEMU $(qemu-system-arm --version | head -n 1 | awk '{print $4}'), machine mps2-an386)"
printf '%-8s %-6s %7s %9s %9s %10s %7s %7s %14s\n' case result steps "loss evals" "flash B" "static B" "stack B" "NaN rej" "instr/step"
for elf in xor rnn online xor-nan rnn-nan online-nan; do
  log="${LOG[$elf]}"
  result=PASS
  [ "${RC[$elf]}" -eq 0 ] || result="FAIL(${RC[$elf]})"
  steps=$(field "$log" 'steps ([0-9]+)  loss evaluations')
  evals=$(field "$log" 'loss evaluations ([0-9]+)  last')
  stack=$(field "$log" 'stack high-water ([0-9]+) B')
  undone=$(field "$log" 'update undone ([0-9]+)')
  probe=$(field "$log" 'non-finite probe ([0-9]+)')
  base=$(field "$log" 'non-finite baseline ([0-9]+)')
  rej="-"
  if [[ "$undone" =~ ^[0-9]+$ && "$probe" =~ ^[0-9]+$ && "$base" =~ ^[0-9]+$ ]]; then
    rej=$((undone + probe + base))
  fi
  steps_rej=$(field "$log" 'rejected steps ([0-9]+)')
  if [[ "$steps_rej" =~ ^[0-9]+$ ]]; then
    rej="$steps_rej"
  fi
  per_step=$(field "$log" 'ask\+tell [0-9]+ \(([0-9]+) per step\)')
  printf '%-8s %-6s %7s %9s %9s %10s %7s %7s %14s\n' "$elf" "$result" "$steps" "$evals" \
    "${FLASH[$elf]}" "${RAM[$elf]}" "$stack" "$rej" "$per_step"
done
echo "flash = .vector_table + .text + .rodata + .data; static = .data + .bss; stack = high-water mark"
echo "(painted at reset, scanned at exit); instr/step = instructions in ask+tell per step (QEMU -icount:"
echo "instruction counts, not cycles; QEMU models no timing). Logs: $OUT/*.log"
if [ "$failed" -ne 0 ]; then
  echo "run.sh: FAILED: at least one firmware did not learn (see above)" >&2
  exit 1
fi
echo "run.sh: all firmware cases learned"
