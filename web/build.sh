#!/bin/sh
# Builds the workbench for the browser into a static folder (default: target/web): index.html,
# daxlab_gui.js (wasm-bindgen's glue) and daxlab_wasm.js (the WebAssembly module, base64 in a
# plain script). Plain scripts, not ES modules or a fetched .wasm, because browsers refuse
# those on file:// pages: this way the folder works both hosted and opened from disk.
#
#   web/build.sh [OUT_DIR]
#
# Needs the wasm32 target and the wasm-bindgen command at the version Cargo.lock pins
# (docs/web.md says how to install both). The folder is built beside OUT_DIR and renamed
# into place, so a failed build leaves an earlier one untouched.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-"$root/target/web"}
target_dir=${CARGO_TARGET_DIR:-"$root/target"}
bindgen=${WASM_BINDGEN:-wasm-bindgen}

fail() { echo "web/build.sh: $*" >&2; exit 2; }

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    fail "the wasm32 target is missing: rustup target add wasm32-unknown-unknown"
fi
want=$(awk '/^name = "wasm-bindgen"$/ { getline; sub(/^version = "/, ""); sub(/"$/, ""); print; exit }' "$root/Cargo.lock")
have=$("$bindgen" --version 2>/dev/null | awk '{ print $2 }') || true
if [ "$have" != "$want" ]; then
    fail "wasm-bindgen $want is needed (found: ${have:-none}): cargo install wasm-bindgen-cli --version $want"
fi

cd "$root"
cargo rustc -p daxlab-gui --lib --profile web --target wasm32-unknown-unknown --crate-type cdylib

stage="$out.partial"
rm -rf "$stage"
mkdir -p "$stage"
"$bindgen" --target no-modules --no-typescript --out-dir "$stage" \
    "$target_dir/wasm32-unknown-unknown/web/daxlab_gui.wasm"
{
    printf 'var DAXLAB_WASM_BASE64 = "'
    base64 -w0 "$stage/daxlab_gui_bg.wasm"
    printf '";\n'
} > "$stage/daxlab_wasm.js"
rm "$stage/daxlab_gui_bg.wasm"
cp web/index.html "$stage/"
rm -rf "$out"
mv "$stage" "$out"
echo "web/build.sh: the workbench is in $out (open $out/index.html, or serve the folder)" >&2
