#!/usr/bin/env bash
# Screenshot of a report.html in headless Chromium, to look at how the report renders.
#
#   scripts/screenshot-report.sh [results-dir-or-report.html] [output.png]
#
# Without an argument it renders the test fixture's report (crates/report/examples/
# fixture_report.rs) into target-report/fixture-report/. Needs Debian's chromium
# (`apt-get install -y chromium`); not run in CI.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${2:-/tmp/report.png}"
if [[ $# -ge 1 ]]; then
    html="$1"
    [[ -d "$html" ]] && html="$html/report.html"
else
    out="$root/target-report/fixture-report"
    html="$(cd "$root" && CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target-report}" \
        cargo run -q -p deepskip-report --example fixture_report -- "$out")"
fi
[[ -f "$html" ]] || { echo "no report at $html: run \`deepskip reproduce\` first or pass its results dir" >&2; exit 1; }
html="$(cd "$(dirname "$html")" && pwd)/$(basename "$html")"
command -v chromium >/dev/null || { echo "chromium not found: apt-get install -y chromium" >&2; exit 1; }
profile_dir="$(mktemp -d)"
trap 'rm -rf "$profile_dir"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run \
    --user-data-dir="$profile_dir" --screenshot="$target" \
    --window-size="${WINDOW_SIZE:-1280,4000}" "file://$html" 2>/dev/null
echo "$target"
