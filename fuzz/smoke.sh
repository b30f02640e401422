#!/bin/sh
# Fuzz smoke test: each target for 30 s (FUZZ_SMOKE_SECONDS) on a temporary
# copy of its seed corpus, failing on any crash, timeout or OOM.
# Needs a nightly toolchain; without one it says so and succeeds.
set -eu

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz smoke skipped: no nightly toolchain"
    exit 0
fi

cd "$(dirname "$0")"

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

seconds=${FUZZ_SMOKE_SECONDS:-30}
targets="decode_frame decode_json transport session dave"

# New inputs and crash files go here, never into the repository.
work=$(mktemp -d "${TMPDIR:-/tmp}/voice-ws-fuzz-smoke.XXXXXX")

cargo +nightly fuzz build

failed=""
for target in $targets; do
    mkdir -p "$work/corpus/$target" "$work/artifacts/$target"
    cp -R "corpus/$target/." "$work/corpus/$target/"
    log="$work/$target.log"
    echo "fuzz smoke: $target for ${seconds}s"
    if cargo +nightly fuzz run "$target" "$work/corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="$work/artifacts/$target/" >"$log" 2>&1; then
        grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true
    else
        echo "fuzz smoke: $target FAILED; last lines of $log:"
        tail -n 40 "$log"
        for crash in "$work/artifacts/$target"/*; do
            [ -f "$crash" ] || continue
            echo "input $crash (hex):"
            od -An -tx1 -v "$crash" | head -n 64
        done
        failed="$failed $target"
    fi
done

if [ -n "$failed" ]; then
    echo "fuzz smoke failed:$failed (logs and inputs kept in $work)"
    exit 1
fi
rm -rf "$work"
echo "fuzz smoke passed: $targets"
